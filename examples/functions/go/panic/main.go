// panic panics; aws-lambda-go posts /error with a stackTrace and then exits 1.
package main

import "github.com/aws/aws-lambda-go/lambda"

func handler() error {
	panic("boom")
}

func main() {
	lambda.Start(handler)
}
