// logger writes event.lines lines to stdout and one to stderr; used for log capture tests.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Lines int `json:"lines"`
}

func handler(e event) (string, error) {
	for i := 0; i < e.Lines; i++ {
		fmt.Printf("line %d\n", i)
	}
	fmt.Fprintln(os.Stderr, "stderr line")
	return "ok", nil
}

func main() {
	lambda.Start(handler)
}
