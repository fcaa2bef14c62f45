// error fails every invoke with a plain error.
package main

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
)

func handler() error {
	return errors.New("something went wrong!")
}

func main() {
	lambda.Start(handler)
}
