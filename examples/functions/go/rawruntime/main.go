// rawruntime speaks the Runtime API with plain net/http (no aws-lambda-go) and misbehaves on
// purpose as $RAW_MODE says, reporting what the Runtime API answered:
//
//	echo       posts the event body back unchanged (byte for byte, with its Content-Type)
//	headers    answers with the /next response headers as JSON
//	badid      posts /response for a wrong request id and /init/error mid-invoke, then answers
//	           {"bad_id": ..., "early": ..., "init_error": ...} with what they got
//	linger     posts /response, then works on for event.ms milliseconds before calling /next
//	twice      posts /response twice, then /error; the next invoke's answer reports the extra posts
//	error      posts /error with Lambda-Runtime-Function-Error-Type and a custom body
//	initerror  posts /init/error (then tries /next) and exits 1
//	exit0      exits 0 at once, before ever calling /next
//
// $INIT_MS, if set, makes init (before the first /next) take that many milliseconds.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

var base = "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"

type reply struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error,omitempty"`
}

func do(method, url string, body []byte, header map[string]string) (reply, http.Header, []byte) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{Error: err.Error()}, nil, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{Status: res.StatusCode, Body: string(b)}, res.Header, b
}

func post(id, verb string, body []byte, header map[string]string) reply {
	r, _, _ := do("POST", base+"/invocation/"+id+"/"+verb, body, header)
	return r
}

func mustJSON(v interface{}) []byte {
	b, _ := json.Marshal(v)
	return b
}

func main() {
	mode := os.Getenv("RAW_MODE")
	if ms, err := strconv.Atoi(os.Getenv("INIT_MS")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	switch mode {
	case "exit0":
		os.Exit(0)
	case "initerror":
		fmt.Println("posting init/error")
		r, _, _ := do("POST", base+"/init/error",
			[]byte(`{"errorMessage":"config missing","errorType":"ConfigError"}`),
			map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigError"})
		fmt.Printf("init/error answered %d %s\n", r.Status, r.Body)
		os.Exit(1)
	case "echo", "headers", "badid", "twice", "error", "linger":
	default:
		fmt.Fprintf(os.Stderr, "unknown RAW_MODE %q\n", mode)
		os.Exit(2)
	}
	// Posting for a request id before any invoke exists must be refused too.
	early := post("00000000-0000-0000-0000-000000000000", "response", []byte(`"early"`), nil)
	var late map[string]reply // what the previous invoke's extra posts got
	for n := 1; ; n++ {
		next, h, event := do("GET", base+"/invocation/next", nil, nil)
		if next.Status != 200 {
			fmt.Fprintf(os.Stderr, "next failed: %+v\n", next)
			os.Exit(1)
		}
		id := h.Get("Lambda-Runtime-Aws-Request-Id")
		switch mode {
		case "echo":
			post(id, "response", event, map[string]string{"Content-Type": h.Get("Content-Type")})
		case "headers":
			out := map[string]string{}
			for _, k := range []string{"Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
				"Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id",
				"Lambda-Runtime-Client-Context", "Lambda-Runtime-Cognito-Identity", "Content-Type"} {
				if v, ok := h[k]; ok {
					out[k] = v[0]
				}
			}
			post(id, "response", mustJSON(map[string]interface{}{"headers": out, "event": string(event)}), nil)
		case "badid":
			bad := post(id+"x", "response", []byte(`"wrong"`), nil)
			initErr, _, _ := do("POST", base+"/init/error", []byte(`{"errorMessage":"late init"}`), nil)
			post(id, "response", mustJSON(map[string]reply{"bad_id": bad, "early": early,
				"init_error": initErr}), nil)
		case "twice":
			first := post(id, "response", mustJSON(map[string]interface{}{"n": n, "late": late}), nil)
			late = map[string]reply{
				"first":  first,
				"second": post(id, "response", []byte(`"second"`), nil),
				"error":  post(id, "error", []byte(`{"errorMessage":"late","errorType":"Late"}`), nil),
			}
		case "linger":
			var e struct{ Ms int }
			json.Unmarshal(event, &e)
			post(id, "response", []byte(`"answered"`), nil)
			fmt.Println("lingering")
			time.Sleep(time.Duration(e.Ms) * time.Millisecond)
			fmt.Println("done lingering")
		case "error":
			post(id, "error", []byte(`{"errorMessage":"custom failure","errorType":"MyError","stackTrace":["a","b"]}`),
				map[string]string{"Lambda-Runtime-Function-Error-Type": "Function.MyError",
					"Content-Type": "application/vnd.aws.lambda.error+json"})
		}
	}
}
