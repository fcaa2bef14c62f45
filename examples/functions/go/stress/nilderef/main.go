// stress/nilderef dereferences a nil pointer; aws-lambda-go turns the runtime panic into /error
// and exits 1. {"ok":true} returns normally.
package main

import "github.com/aws/aws-lambda-go/lambda"

type event struct {
	OK bool `json:"ok"`
}

type counter struct {
	n int
}

var nothing *counter

func handler(e event) (map[string]any, error) {
	if !e.OK {
		nothing.n++
	}
	return map[string]any{"ok": true}, nil
}

func main() {
	lambda.Start(handler)
}
