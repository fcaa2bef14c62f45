// stress/eventbomb allocates and touches {"mb":N} MB in one invocation, so a memory limit below
// N OOM-kills it (Lambda: Runtime.OutOfMemory); {"ok":true} returns at once.
package main

import "github.com/aws/aws-lambda-go/lambda"

type event struct {
	OK bool `json:"ok"`
	MB int  `json:"mb"`
}

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	b := make([]byte, e.MB<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // touch every page, so it is really resident
	}
	return map[string]any{"allocated_mb": len(b) >> 20}, nil
}

func main() {
	lambda.Start(handler)
}
