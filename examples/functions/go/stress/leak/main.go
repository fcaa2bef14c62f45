// stress/leak keeps {"mb":N} (default 40) more MB on every invocation, so a few invocations
// exceed the memory limit (Lambda: Runtime.OutOfMemory); {"ok":true} returns at once.
package main

import "github.com/aws/aws-lambda-go/lambda"

type event struct {
	OK bool `json:"ok"`
	MB int  `json:"mb"`
}

var hoard [][]byte

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	mb := e.MB
	if mb <= 0 {
		mb = 40
	}
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	hoard = append(hoard, b)
	total := 0
	for _, h := range hoard {
		total += len(h) >> 20
	}
	return map[string]any{"total_mb": total}, nil
}

func main() {
	lambda.Start(handler)
}
