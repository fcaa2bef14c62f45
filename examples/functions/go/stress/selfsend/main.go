// stress/selfsend is an event bomb that feeds itself, for Lambda's recursive loop detection
// (`thaw stress --via sqs|event|sns`). Given an SQS event it sends each record's {"hop": N} back
// to the queue it came from as {"hop": N+1}; given an SNS event it publishes {"hop": N+1} to the
// topic it came from; given {"hop": N} it invokes itself with InvocationType Event and
// {"hop": N+1}. Each call carries _X_AMZN_TRACE_ID as X-Amzn-Trace-Id, as the AWS SDKs do, so
// the Lineage count grows by one a hop and Lambda stops the chain after 16. A chain nothing
// stops ends at hop 24 (maxHop), so a server without loop detection is not flooded for ever.
// Given a Kinesis or DynamoDB stream event (`thaw stress --via kinesis|dynamodb`) it is an event
// bomb Lambda does not stop (loop detection does not cover streams): for each record's
// {"hop": N} it puts two records {"hop": N+1} to its own stream ($STREAM_NAME) or writes two
// items to its own table ($TABLE_NAME), so the stream grows until the mapping is disabled.
// {"ok":true} returns at once.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"thaw.dev/examples/internal/sigv4"
	"thaw.dev/examples/internal/streamevent"
)

var (
	lambdaClient = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv()}}
	sqsClient    = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv(), Service: "sqs"}}
	snsClient    = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv(), Service: "sns"}}
	kinClient    = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv(), Service: "kinesis"}}
	ddbClient    = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv(), Service: "dynamodb"}}
)

// Each stream record becomes this many: the backlog grows faster than the mapping reads it.
const fanOut = 2

// The last hop sent whatever happens: well past the 16 Lambda allows.
const maxHop = 24

type hop struct {
	OK  bool `json:"ok,omitempty"`
	Hop int  `json:"hop"`
}

// post sends body to $AWS_ENDPOINT_URL + path with the function's trace header and returns
// the status, or an error for a transport failure.
func post(ctx context.Context, client *http.Client, path string, body []byte, headers map[string]string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", os.Getenv("AWS_ENDPOINT_URL")+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if trace := os.Getenv("_X_AMZN_TRACE_ID"); trace != "" {
		req.Header.Set("X-Amzn-Trace-Id", trace)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(text), nil
}

// queueURL turns arn:aws:sqs:REGION:ACCOUNT:NAME into thaw's URL for the queue.
func queueURL(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 {
		return ""
	}
	return os.Getenv("AWS_ENDPOINT_URL") + "/" + parts[4] + "/" + parts[5]
}

// publishNext publishes {"hop": N+1} for an SNS record's {"hop": N} to the topic it came from.
func publishNext(ctx context.Context, r events.SNSEventRecord) error {
	var in hop
	_ = json.Unmarshal([]byte(r.SNS.Message), &in)
	if in.Hop >= maxHop {
		return nil
	}
	next, _ := json.Marshal(hop{Hop: in.Hop + 1})
	form := url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"},
		"TopicArn": {r.SNS.TopicArn}, "Message": {string(next)}}
	status, text, err := post(ctx, snsClient, "/", []byte(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil || status != 200 {
		return fmt.Errorf("hop %d: Publish: %d %s %v", in.Hop, status, text, err)
	}
	return nil
}

// bomb puts fanOut records {"hop": N+1} for each stream record's {"hop": N} to the function's
// own Kinesis stream or DynamoDB table.
func bomb(ctx context.Context, records []streamevent.Record) (map[string]any, error) {
	var puts []map[string]any
	for _, r := range records {
		for i := 0; i < fanOut && r.Hop < maxHop; i++ {
			key := fmt.Sprintf("h%d-%d-%d", r.Hop+1, time.Now().UnixNano(), len(puts))
			next, _ := json.Marshal(hop{Hop: r.Hop + 1})
			if table := os.Getenv("TABLE_NAME"); table != "" {
				item := map[string]any{"pk": map[string]string{"S": key},
					"hop": map[string]string{"N": fmt.Sprint(r.Hop + 1)}}
				request, _ := json.Marshal(map[string]any{"TableName": table, "Item": item})
				status, text, err := post(ctx, ddbClient, "/", request, map[string]string{
					"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0"})
				if err != nil || status != 200 {
					return nil, fmt.Errorf("hop %d: PutItem: %d %s %v", r.Hop, status, text, err)
				}
				continue
			}
			puts = append(puts, map[string]any{"Data": next, "PartitionKey": key})
		}
	}
	if len(puts) > 0 {
		request, _ := json.Marshal(map[string]any{"StreamName": os.Getenv("STREAM_NAME"), "Records": puts})
		status, text, err := post(ctx, kinClient, "/", request, map[string]string{
			"X-Amz-Target": "Kinesis_20131202.PutRecords", "Content-Type": "application/x-amz-json-1.1"})
		if err != nil || status != 200 {
			return nil, fmt.Errorf("PutRecords: %d %s %v", status, text, err)
		}
	}
	return map[string]any{"records": len(records)}, nil
}

func handler(ctx context.Context, raw json.RawMessage) (map[string]any, error) {
	if records, ok := streamevent.Parse(raw); ok {
		return bomb(ctx, records)
	}
	var snsEvent events.SNSEvent
	if json.Unmarshal(raw, &snsEvent) == nil && len(snsEvent.Records) > 0 &&
		snsEvent.Records[0].EventSource == "aws:sns" {
		for _, r := range snsEvent.Records {
			if err := publishNext(ctx, r); err != nil {
				return nil, err
			}
		}
		return map[string]any{"records": len(snsEvent.Records)}, nil
	}
	var sqsEvent events.SQSEvent
	if json.Unmarshal(raw, &sqsEvent) == nil && len(sqsEvent.Records) > 0 {
		for _, r := range sqsEvent.Records {
			var in hop
			_ = json.Unmarshal([]byte(r.Body), &in)
			if in.Hop >= maxHop {
				continue
			}
			next, _ := json.Marshal(hop{Hop: in.Hop + 1})
			request, _ := json.Marshal(map[string]string{"QueueUrl": queueURL(r.EventSourceARN), "MessageBody": string(next)})
			status, text, err := post(ctx, sqsClient, "/", request, map[string]string{
				"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"})
			if err != nil || status != 200 {
				return nil, fmt.Errorf("hop %d: SendMessage: %d %s %v", in.Hop, status, text, err)
			}
		}
		return map[string]any{"records": len(sqsEvent.Records)}, nil
	}
	var in hop
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	if in.OK {
		return map[string]any{"ok": true}, nil
	}
	if in.Hop >= maxHop {
		return map[string]any{"hop": in.Hop, "stopped": true}, nil
	}
	next, _ := json.Marshal(hop{Hop: in.Hop + 1})
	path := "/2015-03-31/functions/" + os.Getenv("AWS_LAMBDA_FUNCTION_NAME") + "/invocations"
	status, text, err := post(ctx, lambdaClient, path, next, map[string]string{
		"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"})
	if err != nil {
		return nil, err
	}
	return map[string]any{"hop": in.Hop, "status": status, "answer": text}, nil
}

func main() {
	lambda.Start(handler)
}
