// runtimeapi runs logic.Handle with aws-lambda-go's lambda.Start: the native Runtime API
// mechanism. Built without the lambda.norpc tag it is also the go1.x example (lambda.Start serves
// net/rpc when _LAMBDA_SERVER_PORT is set).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"thaw.dev/examples/mech/logic"
)

func main() {
	logic.Mechanism = os.Getenv("THAW_MECHANISM")
	if logic.Mechanism == "" {
		logic.Mechanism = "runtime-api"
	}
	lambda.Start(logic.Handle)
}
