// stress/loop spins the CPU forever (Lambda: Sandbox.Timedout); {"ok":true} returns at once.
// Given a stream event (`thaw stress --via kinesis|dynamodb`) it spins only when a record is
// marked poison, and returns otherwise.
package main

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"thaw.dev/examples/internal/streamevent"
)

type event struct {
	OK bool `json:"ok"`
}

var spins uint64

func handler(raw json.RawMessage) (map[string]any, error) {
	if records, ok := streamevent.Parse(raw); ok && !streamevent.AnyPoison(records) {
		return map[string]any{"records": len(records)}, nil
	}
	var e event
	_ = json.Unmarshal(raw, &e)
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
