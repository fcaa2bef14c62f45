// sidecar serves logic.Handle over HTTP, Sparta's Go sidecar and the Lambda Web Adapter's model.
// It listens on 127.0.0.1:$PORT. thaw-host POSTs non-HTTP events to /events with the invocation's
// identity in Lambda-Runtime-* headers; API Gateway events arrive as the HTTP request they stand
// for (GET /hello?name=x here). A handler error answers with Lambda's error JSON and the
// Lambda-Runtime-Function-Error-Type header; after a panic the sidecar also says
// Thaw-Sidecar-Exit: 1 and exits, as aws-lambda-go's process does.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"thaw.dev/examples/mech/logic"
)

type frame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

type lambdaError struct {
	Message    string  `json:"errorMessage"`
	Type       string  `json:"errorType"`
	StackTrace []frame `json:"stackTrace,omitempty"`
}

// stack formats the panicking goroutine's frames as aws-lambda-go does (lambda/panic.go).
func stack() []frame {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []frame
	for {
		f, more := frames.Next()
		path, label := f.File, f.Function
		i := len(path)
		for k, g := 0, strings.Count(label, "/")+2; k < g; k++ {
			if i = strings.LastIndex(path[:i], "/"); i == -1 {
				break
			}
		}
		path = path[i+1:]
		label = label[strings.LastIndex(label, "/")+1:]
		label = label[strings.Index(label, ".")+1:]
		out = append(out, frame{Path: path, Line: int32(f.Line), Label: label})
		if !more {
			return out
		}
	}
}

// errType names an error's type as aws-lambda-go's getErrorType does.
func errType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}

func writeError(w http.ResponseWriter, e lambdaError) {
	body, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Lambda-Runtime-Function-Error-Type", e.Type)
	// A complete response before a panic's exit: a length, not a chunked body still open.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if ms, err := strconv.ParseInt(r.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); err == nil && ms > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(ms))
		defer cancel()
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       r.Header.Get("Lambda-Runtime-Aws-Request-Id"),
		InvokedFunctionArn: r.Header.Get("Lambda-Runtime-Invoked-Function-Arn"),
	})
	var ev logic.Event
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		writeError(w, lambdaError{Message: err.Error(), Type: errType(err)})
		return
	}
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n\n%s", v, debug.Stack())
			w.Header().Set("Thaw-Sidecar-Exit", "1")
			writeError(w, lambdaError{Message: fmt.Sprintf("%v", v), Type: reflect.TypeOf(v).Name(), StackTrace: stack()})
			w.(http.Flusher).Flush()
			os.Exit(1)
		}
	}()
	out, err := logic.Handle(ctx, ev)
	if err != nil {
		writeError(w, lambdaError{Message: err.Error(), Type: errType(err)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func main() {
	logic.Mechanism = "http-sidecar"
	http.HandleFunc("/events", events)
	http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello %s from %s %s", r.URL.Query().Get("name"), r.Method, r.URL.Path)
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ready") })
	addr := "127.0.0.1:" + os.Getenv("PORT")
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
