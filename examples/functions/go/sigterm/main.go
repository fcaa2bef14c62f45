// sigterm echoes, and registers for SIGTERM so shutdown can be observed in the logs.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler(event json.RawMessage) (json.RawMessage, error) {
	return event, nil
}

func main() {
	lambda.StartWithOptions(handler, lambda.WithEnableSIGTERM(func() {
		fmt.Println("SIGTERM received")
	}))
}
