// echo returns its input event unchanged.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler(event json.RawMessage) (json.RawMessage, error) {
	fmt.Printf("echo: %d bytes\n", len(event))
	return event, nil
}

func main() {
	lambda.Start(handler)
}
