// big returns a string of event.bytes 'x' characters, for response size limit tests.
package main

import (
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Bytes int `json:"bytes"`
}

func handler(e event) (string, error) {
	return strings.Repeat("x", e.Bytes), nil
}

func main() {
	lambda.Start(handler)
}
