// stress/leak keeps {"mb":N} (default 40) more MB on every invocation, so a few invocations
// exceed the memory limit (Lambda: Runtime.OutOfMemory); {"ok":true} returns at once. Given a
// stream event (`thaw stress --via kinesis|dynamodb`) it keeps the "mb" of each record marked
// poison (so one such record past the limit fails every retry), and nothing for the others.
package main

import (
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"

	"thaw.dev/examples/internal/streamevent"
)

type event struct {
	OK bool `json:"ok"`
	MB int  `json:"mb"`
}

var hoard [][]byte

func keep(mb int) int {
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	hoard = append(hoard, b)
	total := 0
	for _, h := range hoard {
		total += len(h) >> 20
	}
	return total
}

func handler(raw json.RawMessage) (map[string]any, error) {
	if records, ok := streamevent.Parse(raw); ok {
		total := 0
		for _, r := range records {
			if r.Poison && r.MB > 0 {
				total = keep(r.MB)
			}
		}
		return map[string]any{"records": len(records), "total_mb": total}, nil
	}
	var e event
	_ = json.Unmarshal(raw, &e)
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	mb := e.MB
	if mb <= 0 {
		mb = 40
	}
	return map[string]any{"total_mb": keep(mb)}, nil
}

func main() {
	lambda.Start(handler)
}
