// stress/panic panics with "boom"; aws-lambda-go posts /error with a Go stack and exits 1.
// {"ok":true} returns normally. Given a stream event (`thaw stress --via kinesis|dynamodb`) it
// panics only when a record is marked poison, so bisection can find that record.
package main

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"thaw.dev/examples/internal/streamevent"
)

type event struct {
	OK bool `json:"ok"`
}

func handler(raw json.RawMessage) (map[string]any, error) {
	if records, ok := streamevent.Parse(raw); ok {
		if streamevent.AnyPoison(records) {
			panic("boom")
		}
		return map[string]any{"records": len(records)}, nil
	}
	var e event
	_ = json.Unmarshal(raw, &e)
	if !e.OK {
		panic("boom")
	}
	return map[string]any{"ok": true}, nil
}

func main() {
	lambda.Start(handler)
}
