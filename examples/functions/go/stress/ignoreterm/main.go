// stress/ignoreterm asks for SIGTERM at shutdown (aws-lambda-go's WithEnableSIGTERM registers an
// internal extension), then ignores it: the hook logs and sleeps. The platform must SIGKILL it at
// the end of the shutdown budget. Every invocation returns {"ok":true}.
package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() (map[string]any, error) {
	return map[string]any{"ok": true}, nil
}

func main() {
	lambda.StartWithOptions(handler, lambda.WithEnableSIGTERM(func() {
		fmt.Println("ignoreterm: SIGTERM received, ignoring it")
		time.Sleep(time.Hour)
	}))
}
