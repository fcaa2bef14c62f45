// callaws invokes another function through $AWS_ENDPOINT_URL using plain net/http,
// so it needs no SDK and no request signing.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Target  string          `json:"target"`
	Payload json.RawMessage `json:"payload"`
}

func handler(e event) (json.RawMessage, error) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL is not set")
	}
	body := []byte(e.Payload)
	if len(body) == 0 {
		body = []byte("{}")
	}
	u := endpoint + "/2015-03-31/functions/" + url.PathEscape(e.Target) + "/invocations"
	resp, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("invoke %s: HTTP %d: %s", e.Target, resp.StatusCode, out)
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("invoke %s: response is not JSON: %q", e.Target, out)
	}
	return out, nil
}

func main() {
	lambda.Start(handler)
}
