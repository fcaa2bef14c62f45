// stress/panic panics with "boom"; aws-lambda-go posts /error with a Go stack and exits 1.
// {"ok":true} returns normally.
package main

import "github.com/aws/aws-lambda-go/lambda"

type event struct {
	OK bool `json:"ok"`
}

func handler(e event) (map[string]any, error) {
	if !e.OK {
		panic("boom")
	}
	return map[string]any{"ok": true}, nil
}

func main() {
	lambda.Start(handler)
}
