// gobgolden records the bytes Go's net/rpc (gob codec) puts on the wire between a go1.x client
// and aws-lambda-go's real Function RPC server, for thaw's C++ gob tests (src/host/gob_test.cc,
// src/host/go1x_rpc_test.cc). Each scenario runs the client in a fresh process and the server
// (lambda.Start with _LAMBDA_SERVER_PORT set) in another, because gob numbers types per process.
//
//	go run .   prints the C++ constants (hex strings) to paste into src/host/gob_test.cc
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

type event struct {
	Action  string `json:"action"`
	Message string `json:"message"`
}

// handle is the function: echo returns the event, error returns errors.New, panic panics.
func handle(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	var ev event
	if err := json.Unmarshal(in, &ev); err != nil {
		return nil, err
	}
	switch ev.Action {
	case "error":
		return nil, errors.New(ev.Message)
	case "panic":
		panic(ev.Message)
	}
	return in, nil
}

// recorder keeps every byte written to and read from the connection.
type recorder struct {
	net.Conn
	mu         sync.Mutex
	sent, recv bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.recv.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.sent.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func fullRequest(payload string) *messages.InvokeRequest {
	return &messages.InvokeRequest{
		Payload:               []byte(payload),
		RequestId:             "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
		XAmznTraceId:          "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
		Deadline:              messages.InvokeRequest_Timestamp{Seconds: 1700000000, Nanos: 123000000},
		InvokedFunctionArn:    "arn:aws:lambda:us-east-1:123456789012:function:f",
		CognitoIdentityId:     "us-east-1:id",
		CognitoIdentityPoolId: "us-east-1:pool",
		ClientContext:         []byte(`{"client":{"installation_id":"i"},"custom":{"k":"v"},"env":{"platform":"p"}}`),
	}
}

// minimalRequest is what a caller without Cognito or client context sends.
func minimalRequest(payload string) *messages.InvokeRequest {
	return &messages.InvokeRequest{
		Payload:            []byte(payload),
		RequestId:          "r2",
		Deadline:           messages.InvokeRequest_Timestamp{Seconds: 1700000001},
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:f",
	}
}

type result struct {
	Sent, Recv string
	ErrorJSON  string `json:",omitempty"` // json.Marshal of the last InvokeResponse.Error
}

func invoke(c *rpc.Client, req *messages.InvokeRequest, res *result) {
	var reply messages.InvokeResponse
	if err := c.Call("Function.Invoke", req, &reply); err != nil {
		fail(err)
	}
	if reply.Error != nil {
		b, err := json.Marshal(reply.Error)
		if err != nil {
			fail(err)
		}
		res.ErrorJSON = string(b)
	}
}

func runClient(scenario string) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	lis.Close()
	server := exec.Command(os.Args[0], "serve")
	server.Env = append(os.Environ(), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		fail(err)
	}
	defer server.Process.Kill()
	var conn net.Conn
	for i := 0; ; i++ {
		if conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			break
		}
		if i == 500 {
			fail(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rec := &recorder{Conn: conn}
	c := rpc.NewClient(rec)
	var res result
	switch scenario {
	case "ping":
		if err := c.Call("Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}); err != nil {
			fail(err)
		}
	case "invoke":
		invoke(c, fullRequest(`{"action":"echo","payload":1}`), &res)
	case "panic":
		invoke(c, minimalRequest(`{"action":"panic","message":"boom <&>"}`), &res)
	case "rpcerror":
		err := c.Call("Function.Nope", &messages.PingRequest{}, &messages.PingResponse{})
		if err == nil || !strings.Contains(err.Error(), "can't find method") {
			fail(fmt.Errorf("want an rpc error, got %v", err))
		}
	case "session":
		if err := c.Call("Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}); err != nil {
			fail(err)
		}
		invoke(c, fullRequest(`{"action":"echo"}`), &res)
		invoke(c, minimalRequest(`{"action":"error","message":"m"}`), &res)
		invoke(c, minimalRequest(`{"action":"panic","message":"p"}`), &res)
	default:
		fail(fmt.Errorf("unknown scenario %q", scenario))
	}
	c.Close()
	rec.mu.Lock()
	res.Sent = hex.EncodeToString(rec.sent.Bytes())
	res.Recv = hex.EncodeToString(rec.recv.Bytes())
	rec.mu.Unlock()
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gobgolden:", err)
	os.Exit(1)
}

// cxxName turns "rpcerror" and "Sent" into kRpcerrorSent.
func cxxName(scenario, part string) string {
	return "k" + strings.ToUpper(scenario[:1]) + scenario[1:] + part
}

// cxxHex splits a hex string over lines of 88 digits as adjacent C++ string literals.
func cxxHex(name, h string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "constexpr std::string_view %s =", name)
	for len(h) > 88 {
		fmt.Fprintf(&b, "\n    \"%s\"", h[:88])
		h = h[88:]
	}
	fmt.Fprintf(&b, "\n    \"%s\";\n", h)
	return b.String()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		lambda.Start(handle)
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "client" {
		runClient(os.Args[2])
		return
	}
	fmt.Println("// Generated by tests/tools/gobgolden (cd tests/tools/gobgolden && go run .); do not edit.")
	for _, scenario := range []string{"ping", "invoke", "panic", "rpcerror", "session"} {
		out, err := exec.Command(os.Args[0], "client", scenario).Output()
		if err != nil {
			fail(fmt.Errorf("%s: %v", scenario, err))
		}
		var res result
		if err := json.Unmarshal(out, &res); err != nil {
			fail(err)
		}
		fmt.Printf("// %s\n", scenario)
		fmt.Print(cxxHex(cxxName(scenario, "Sent"), res.Sent))
		fmt.Print(cxxHex(cxxName(scenario, "Recv"), res.Recv))
		if res.ErrorJSON != "" {
			fmt.Printf("constexpr std::string_view %s = R\"json(%s)json\";\n",
				cxxName(scenario, "ErrorJson"), res.ErrorJSON)
		}
	}
}
