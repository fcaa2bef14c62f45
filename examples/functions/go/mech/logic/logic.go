// Package logic is the one handler every mechanism example runs (examples/functions/go/mech/*),
// so that only the way the event reaches it differs. The event's "action" picks a behaviour:
//
//	{"action":"echo","payload":…}       returns the payload, the mechanism and the request id
//	{"action":"error","message":"m"}    returns an error (errorType errorString)
//	{"action":"panic","message":"m"}    panics
//	{"action":"exit","code":N}          calls os.Exit(N)
//	{"action":"sleep","ms":N}           sleeps N ms, then echoes
//	{"action":"alloc","mb":N}           allocates and touches N MiB, then echoes
//	{"action":"big","mb":N}             returns a string of N MiB
//	{"action":"log","message":"m"}      prints m on stdout and stderr, then echoes
package logic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

type Event struct {
	Action  string          `json:"action"`
	Message string          `json:"message"`
	Code    int             `json:"code"`
	Ms      int             `json:"ms"`
	MB      int             `json:"mb"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type Response struct {
	Mechanism string          `json:"mechanism"`
	RequestID string          `json:"requestId"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	Big       string          `json:"big,omitempty"`
}

// Mechanism names the mechanism the example was built for; each main sets it.
var Mechanism = "unknown"

var keep [][]byte

func Handle(ctx context.Context, ev Event) (Response, error) {
	out := Response{Mechanism: Mechanism, Payload: ev.Payload}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		out.RequestID = lc.AwsRequestID
	}
	switch ev.Action {
	case "", "echo":
	case "error":
		return out, errors.New(ev.Message)
	case "panic":
		panic(ev.Message)
	case "exit":
		os.Exit(ev.Code)
	case "sleep":
		// Deaf to the context, so the platform's timeout is what ends it.
		time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	case "alloc":
		for i := 0; i < ev.MB; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
	case "big":
		out.Big = strings.Repeat("x", ev.MB<<20)
	case "log":
		fmt.Println("stdout: " + ev.Message)
		fmt.Fprintln(os.Stderr, "stderr: "+ev.Message)
	default:
		return out, fmt.Errorf("unknown action %q", ev.Action)
	}
	return out, nil
}
