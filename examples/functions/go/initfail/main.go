// initfail exits during init, before ever calling /next.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	fmt.Println("init failing")
	os.Exit(1)
	lambda.Start(func() error { return nil })
}
