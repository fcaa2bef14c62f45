// spawn runs logic.Handle once per process, the seed's Node.js child_process model: the event
// comes in on stdin, the response goes out on stdout, and a failure is a non-zero exit with the
// reason on stderr. thaw-host passes the invocation's identity in THAW_REQUEST_ID,
// THAW_DEADLINE_MS, THAW_FUNCTION_ARN and _X_AMZN_TRACE_ID.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"thaw.dev/examples/mech/logic"
)

func main() {
	logic.Mechanism = "spawn"
	ctx := context.Background()
	if ms, err := strconv.ParseInt(os.Getenv("THAW_DEADLINE_MS"), 10, 64); err == nil && ms > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(ms))
		defer cancel()
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       os.Getenv("THAW_REQUEST_ID"),
		InvokedFunctionArn: os.Getenv("THAW_FUNCTION_ARN"),
	})
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading the event:", err)
		os.Exit(1)
	}
	var ev logic.Event
	if err := json.Unmarshal(in, &ev); err != nil {
		fmt.Fprintln(os.Stderr, "decoding the event:", err)
		os.Exit(1)
	}
	// stdout carries the response: what the handler prints goes to stderr, the log.
	response := os.Stdout
	os.Stdout = os.Stderr
	out, err := logic.Handle(ctx, ev)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(response).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "writing the response:", err)
		os.Exit(1)
	}
}
