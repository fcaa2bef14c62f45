// exit kills the runtime mid-invoke without responding (Runtime.ExitError).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() error {
	os.Exit(3)
	return nil
}

func main() {
	lambda.Start(handler)
}
