// stress/exit calls os.Exit(1) mid-invocation (Lambda: Runtime.ExitError); {"ok":true} returns.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	OK bool `json:"ok"`
}

func handler(e event) (map[string]any, error) {
	if !e.OK {
		os.Exit(1)
	}
	return map[string]any{"ok": true}, nil
}

func main() {
	lambda.Start(handler)
}
