// destination receives the invocation records Lambda sends to a function destination of an
// asynchronous invocation (DestinationConfig OnSuccess / OnFailure). aws-lambda-go's events
// package has no type for them, so Record mirrors Lambda's shape; unknown fields are an error,
// so a record with a field Lambda does not send fails the invoke. It prints what it parsed on
// one line ("destination: {...}") for tests to read from the function's log, and returns it.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type RequestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"` // Success, RetriesExhausted, EventAgeExceeded
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

type Record struct {
	Version         string           `json:"version"`
	Timestamp       time.Time        `json:"timestamp"`
	RequestContext  RequestContext   `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *ResponseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
}

func handler(raw json.RawMessage) (Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("not a destination record: %w", err)
	}
	if r.Version != "1.0" || r.RequestContext.RequestID == "" || r.Timestamp.IsZero() {
		return r, fmt.Errorf("incomplete destination record: %s", raw)
	}
	out, _ := json.Marshal(r)
	fmt.Printf("destination: %s\n", out)
	return r, nil
}

func main() {
	lambda.Start(handler)
}
