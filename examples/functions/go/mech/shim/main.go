// shim runs logic.Handle inside thaw-host: built with -buildmode=c-shared, thaw-host loads it with
// dlopen and calls the C ABI in docs/shim-abi.md (thaw_shim_init, thaw_shim_invoke,
// thaw_shim_free) once per event, from one thread, one event at a time. Everything the event
// sees matches aws-lambda-go's lambda.Start (v1.54.0, lambda/invoke_loop.go): the same handler
// reflection (lambda.NewHandler), context, _X_AMZN_TRACE_ID, error JSON, log lines and, for a
// panic, the same stackTrace frames; only the transport differs.
package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"reflect"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"thaw.dev/examples/mech/logic"
)

// Result codes of thaw_shim_invoke.
const (
	codeResponse = 0 // out is the response
	codeError    = 1 // out is Lambda's error JSON
	codeExit     = 2 // out is Lambda's error JSON, and the process must exit (a panic)
)

var handler lambda.Handler

func init() {
	logic.Mechanism = "shim"
	handler = lambda.NewHandler(logic.Handle)
}

// invokeContext is the ctx_json argument: the Runtime API's /next headers.
type invokeContext struct {
	RequestID          string `json:"requestId"`
	DeadlineMs         int64  `json:"deadlineMs"`
	InvokedFunctionArn string `json:"invokedFunctionArn"`
	TraceID            string `json:"traceId"`
	ClientContext      string `json:"clientContext"`   // JSON text, or empty
	CognitoIdentity    string `json:"cognitoIdentity"` // JSON text, or empty
}

//export thaw_shim_init
func thaw_shim_init(out **C.char, outLen *C.size_t) C.int {
	// Nothing to do: package init has already run (an exported call waits for it), so this call
	// makes init time and init panics part of thaw-host's init phase.
	*out, *outLen = nil, 0
	return 0
}

//export thaw_shim_invoke
func thaw_shim_invoke(ctxJSON *C.char, ctxLen C.size_t, event *C.char, eventLen C.size_t,
	out **C.char, outLen *C.size_t) C.int {
	code, body := invoke(C.GoBytes(unsafe.Pointer(ctxJSON), C.int(ctxLen)),
		C.GoBytes(unsafe.Pointer(event), C.int(eventLen)))
	// Copied at once: the response may alias a pooled buffer of aws-lambda-go's.
	*out = (*C.char)(C.CBytes(body))
	*outLen = C.size_t(len(body))
	return C.int(code)
}

//export thaw_shim_free
func thaw_shim_free(p *C.char) {
	C.free(unsafe.Pointer(p))
}

// invoke is aws-lambda-go's handleInvoke without the HTTP.
func invoke(ctxJSON, payload []byte) (int, []byte) {
	var ic invokeContext
	if err := json.Unmarshal(ctxJSON, &ic); err != nil {
		return reportFailure(lambdaErrorResponse(fmt.Errorf("failed to parse the invoke context: %v", err)))
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.UnixMilli(ic.DeadlineMs))
	defer cancel()

	lc := lambdacontext.LambdaContext{
		AwsRequestID:       ic.RequestID,
		InvokedFunctionArn: ic.InvokedFunctionArn,
	}
	if ic.ClientContext != "" {
		if err := json.Unmarshal([]byte(ic.ClientContext), &lc.ClientContext); err != nil {
			return reportFailure(lambdaErrorResponse(fmt.Errorf("failed to unmarshal client context json: %v", err)))
		}
	}
	if ic.CognitoIdentity != "" {
		if err := json.Unmarshal([]byte(ic.CognitoIdentity), &lc.Identity); err != nil {
			return reportFailure(lambdaErrorResponse(fmt.Errorf("failed to unmarshal cognito identity json: %v", err)))
		}
	}
	ctx = lambdacontext.NewContext(ctx, &lc)

	if lambdacontext.MaxConcurrency() == 1 {
		os.Setenv("_X_AMZN_TRACE_ID", ic.TraceID)
	}
	// nolint:staticcheck // the key aws-lambda-go uses
	ctx = context.WithValue(ctx, "x-amzn-trace-id", ic.TraceID)

	response, invokeErr := callBytesHandlerFunc(ctx, payload, handler)
	if invokeErr != nil {
		return reportFailure(invokeErr)
	}
	return codeResponse, response
}

// reportFailure logs the error JSON as aws-lambda-go does before posting it; for a panic it also
// logs the line aws-lambda-go's log.Fatalf writes before exiting 1 (thaw-host does the exit).
func reportFailure(invokeErr *messages.InvokeResponse_Error) (int, []byte) {
	payload := safeMarshal(invokeErr)
	log.Printf("%s", payload)
	if invokeErr.ShouldExit {
		log.Printf("%v", "calling the handler function resulted in a panic, the process should exit")
		return codeExit, payload
	}
	return codeError, payload
}

// The rest is aws-lambda-go v1.54.0's, under the same names so that a panic's top frames carry
// the same labels (lambda/invoke_loop.go, errors.go, panic.go).

func callBytesHandlerFunc(ctx context.Context, payload []byte, h lambda.Handler) (response []byte, invokeErr *messages.InvokeResponse_Error) {
	defer func() {
		if err := recover(); err != nil {
			invokeErr = lambdaPanicResponse(err)
		}
	}()
	response, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, lambdaErrorResponse(err)
	}
	return response, nil
}

func safeMarshal(v interface{}) []byte {
	payload, err := json.Marshal(v)
	if err != nil {
		payload, _ = json.Marshal(&messages.InvokeResponse_Error{
			Type:    "Runtime.SerializationError",
			Message: err.Error(),
		})
	}
	return payload
}

func getErrorType(err interface{}) string {
	errorType := reflect.TypeOf(err)
	if errorType.Kind() == reflect.Ptr {
		return errorType.Elem().Name()
	}
	return errorType.Name()
}

func lambdaErrorResponse(invokeError error) *messages.InvokeResponse_Error {
	if ive, ok := invokeError.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{
		Message: invokeError.Error(),
		Type:    getErrorType(invokeError),
	}
}

func lambdaPanicResponse(err interface{}) *messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	panicInfo := getPanicInfo(err)
	return &messages.InvokeResponse_Error{
		Message:    panicInfo.Message,
		Type:       getErrorType(err),
		StackTrace: panicInfo.StackTrace,
		ShouldExit: true,
	}
}

type panicInfo struct {
	Message    string
	StackTrace []*messages.InvokeResponse_Error_StackFrame
}

func getPanicInfo(value interface{}) panicInfo {
	return panicInfo{Message: fmt.Sprintf("%v", value), StackTrace: getPanicStack()}
}

const defaultErrorFrameCount = 32

func getPanicStack() []*messages.InvokeResponse_Error_StackFrame {
	s := make([]uintptr, defaultErrorFrameCount)
	// Hides runtime.Callers, getPanicStack and getPanicInfo, as aws-lambda-go does: its first
	// frame is lambdaPanicResponse, the panicking goroutine's recovery.
	const framesToHide = 3
	n := runtime.Callers(framesToHide, s)
	if n == 0 {
		return make([]*messages.InvokeResponse_Error_StackFrame, 0)
	}
	return convertStack(s[:n])
}

func convertStack(s []uintptr) []*messages.InvokeResponse_Error_StackFrame {
	var converted []*messages.InvokeResponse_Error_StackFrame
	frames := runtime.CallersFrames(s)
	for {
		frame, more := frames.Next()
		converted = append(converted, formatFrame(frame))
		if !more {
			break
		}
	}
	return converted
}

// formatFrame keeps as many trailing path elements as the function's import path has, plus the
// file: GOPATH/src/pkg/sub/file.go with label pkg/sub.Type.Method gives pkg/sub/file.go and
// Type.Method.
func formatFrame(inputFrame runtime.Frame) *messages.InvokeResponse_Error_StackFrame {
	path := inputFrame.File
	line := int32(inputFrame.Line)
	label := inputFrame.Function

	i := len(path)
	for n, g := 0, strings.Count(label, "/")+2; n < g; n++ {
		i = strings.LastIndex(path[:i], "/")
		if i == -1 {
			break
		}
	}
	path = path[i+1:]
	label = label[strings.LastIndex(label, "/")+1:]
	label = label[strings.Index(label, ".")+1:]

	return &messages.InvokeResponse_Error_StackFrame{Path: path, Line: line, Label: label}
}

func main() {}
