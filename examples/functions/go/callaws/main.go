// callaws calls thaw's front door from inside a function with plain net/http, signing with
// SigV4 itself (no SDK). By default it invokes another function and answers with its output.
// With "action" it makes one other call and answers with what came back, whatever it was, so
// tests can see what a function may do: "update-code" (UpdateFunctionCode of target),
// "get-function" (GetFunction of target), "environments" (GET /thaw/environments),
// "send-message" (SQS GetQueueUrl of the queue named target, then SendMessage of payload to it;
// the answer's body is GetQueueUrl's, so it shows the account the queue was found in).
// "key" picks the signing key: "" the function's own credentials, "made-up" an invented key,
// "account" the 12-digit account id as key id (what LocalStack treats as its root account).
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

	"thaw.dev/examples/internal/sigv4"
)

type event struct {
	Target  string          `json:"target"`
	Payload json.RawMessage `json:"payload"`
	Action  string          `json:"action"`
	Key     string          `json:"key"`
}

type answer struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Body   string `json:"body"`
}

// An empty zip archive: UpdateFunctionCode needs a body, and it must never be applied anyway.
const emptyZip = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="

func credentials(key string) (sigv4.Credentials, error) {
	switch key {
	case "":
		return sigv4.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN")}, nil
	case "made-up":
		return sigv4.Credentials{AccessKeyID: "AKIAMADEUPKEY0000000", SecretAccessKey: "made-up"}, nil
	case "account":
		return sigv4.Credentials{AccessKeyID: "000000000000", SecretAccessKey: "test"}, nil
	}
	return sigv4.Credentials{}, fmt.Errorf("unknown key %q", key)
}

func handler(e event) (json.RawMessage, error) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		return nil, fmt.Errorf("AWS_ENDPOINT_URL is not set")
	}
	creds, err := credentials(e.Key)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &sigv4.Transport{Credentials: creds}}
	if e.Action == "send-message" {
		return sendMessage(endpoint, creds, e)
	}
	function := endpoint + "/2015-03-31/functions/" + url.PathEscape(e.Target)
	var req *http.Request
	switch e.Action {
	case "", "invoke":
		body := []byte(e.Payload)
		if len(body) == 0 {
			body = []byte("{}")
		}
		req, err = http.NewRequest("POST", function+"/invocations", bytes.NewReader(body))
	case "update-code":
		body := []byte(`{"ZipFile":"` + emptyZip + `"}`)
		req, err = http.NewRequest("PUT", function+"/code", bytes.NewReader(body))
	case "get-function":
		req, err = http.NewRequest("GET", function, nil)
	case "environments":
		req, err = http.NewRequest("GET", endpoint+"/thaw/environments", nil)
	default:
		return nil, fmt.Errorf("unknown action %q", e.Action)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if e.Action != "" && e.Action != "invoke" {
		return json.Marshal(answer{resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), string(out)})
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("invoke %s: HTTP %d: %s", e.Target, resp.StatusCode, out)
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("invoke %s: response is not JSON: %q", e.Target, out)
	}
	return out, nil
}

// sqsCall posts one SQS JSON-protocol call; (status, body).
func sqsCall(client *http.Client, endpoint, operation string, input any) (int, []byte, error) {
	body, _ := json.Marshal(input)
	req, err := http.NewRequest("POST", endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+operation)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func sendMessage(endpoint string, creds sigv4.Credentials, e event) (json.RawMessage, error) {
	client := &http.Client{Transport: &sigv4.Transport{Credentials: creds, Service: "sqs"}}
	status, out, err := sqsCall(client, endpoint, "GetQueueUrl", map[string]string{"QueueName": e.Target})
	if err != nil {
		return nil, err
	}
	if status == 200 {
		var found struct{ QueueUrl string }
		if err := json.Unmarshal(out, &found); err != nil {
			return nil, err
		}
		status, _, err = sqsCall(client, endpoint, "SendMessage",
			map[string]string{"QueueUrl": found.QueueUrl, "MessageBody": string(e.Payload)})
		if err != nil {
			return nil, err
		}
	}
	return json.Marshal(answer{status, "", string(out)})
}

func main() {
	lambda.Start(handler)
}
