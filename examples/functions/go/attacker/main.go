// attacker tries to use ANOTHER environment's Runtime API: given {"port":N,"request_id":"..."}
// it calls GET /next and POSTs /response for that request id on 127.0.0.1:N, and returns what
// happened. A correct server refuses both (closes the connection): no status, an error.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Port      int    `json:"port"`
	RequestID string `json:"request_id"`
}

type outcome struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error,omitempty"`
}

func try(method, url string, body []byte) outcome {
	client := &http.Client{Timeout: 3 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	res, err := client.Do(req)
	if err != nil {
		return outcome{Error: err.Error()}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return outcome{Status: res.StatusCode, Body: string(b)}
}

func handler(e event) (map[string]outcome, error) {
	base := fmt.Sprintf("http://127.0.0.1:%d/2018-06-01/runtime", e.Port)
	return map[string]outcome{
		"next":     try("GET", base+"/invocation/next", nil),
		"response": try("POST", base+"/invocation/"+e.RequestID+"/response", []byte(`"pwned"`)),
	}, nil
}

func main() {
	lambda.Start(handler)
}
