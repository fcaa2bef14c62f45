// stress/loop spins the CPU forever (Lambda: Sandbox.Timedout); {"ok":true} returns at once.
package main

import "github.com/aws/aws-lambda-go/lambda"

type event struct {
	OK bool `json:"ok"`
}

var spins uint64

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	for {
		spins++
	}
}

func main() {
	lambda.Start(handler)
}
