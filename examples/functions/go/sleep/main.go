// sleep waits event.ms milliseconds; used for timeout and concurrency tests.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Ms int64 `json:"ms"`
}

type result struct {
	Slept int64 `json:"slept"`
}

func handler(e event) (result, error) {
	time.Sleep(time.Duration(e.Ms) * time.Millisecond)
	return result{Slept: e.Ms}, nil
}

func main() {
	lambda.Start(handler)
}
