// stress/sleep sleeps far past any deadline (Lambda: Sandbox.Timedout); {"ok":true} returns at once.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	OK bool `json:"ok"`
}

func handler(e event) (map[string]any, error) {
	if !e.OK {
		time.Sleep(time.Hour)
	}
	return map[string]any{"ok": true}, nil
}

func main() {
	lambda.Start(handler)
}
