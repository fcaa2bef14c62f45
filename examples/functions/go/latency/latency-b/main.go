// latency-b is the callee of the latency experiment (docs/latency.md): it stamps T2 on entry and
// T3 on return with its own skewed clock (THAW_SKEW_* in its Environment.Variables), merges the
// caller's Hlc from the trace header, and returns the stamps with its HLC readings.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"thaw.dev/examples/latency/node"
	"thaw.dev/examples/latency/skewclock"
)

func traceHeader(ctx context.Context) string {
	if v, ok := ctx.Value("x-amzn-trace-id").(string); ok && v != "" {
		return v
	}
	return os.Getenv("_X_AMZN_TRACE_ID")
}

func main() {
	clock, err := skewclock.FromEnv()
	if err != nil {
		panic(err) // an init error: the configuration is wrong
	}
	n := node.New(clock)
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (node.CalleeStamps, error) {
		stamps, _ := n.Serve(traceHeader(ctx))
		return stamps, nil
	})
}
