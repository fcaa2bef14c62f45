// stress/bigresponse returns a 7 MB string, over Lambda's 6 MB response limit
// (Function.ResponseSizeTooLarge). {"ok":true} returns normally.
package main

import (
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	OK bool `json:"ok"`
}

func handler(e event) (any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	return strings.Repeat("x", 7<<20), nil
}

func main() {
	lambda.Start(handler)
}
