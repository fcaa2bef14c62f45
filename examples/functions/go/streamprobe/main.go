// streamprobe takes a DynamoDB stream trigger's event, parsed by aws-lambda-go as
// events.DynamoDBEvent, and logs what it got as one line per invocation:
//
//	STREAMPROBE {"n":2,"seqs":["...","..."],"names":["INSERT","MODIFY"],"keys":["a","b"],"arn":"..."}
//
// (keys: each record's "pk" string key). A record whose NewImage has a "poison" attribute fails
// the batch: with PROBE_MODE=error (the default) the handler returns an error; with
// PROBE_MODE=report it answers events.DynamoDBEventResponse with the poison records'
// sequence numbers in batchItemFailures; with PROBE_MODE=malformed it answers an empty
// itemIdentifier (a malformed response, which fails the whole batch).
// With PROBE_SINK=<queue name> the line's JSON is also sent to that SQS queue of the front door
// (AWS_ENDPOINT_URL) before the handler answers, so a test can count deliveries durably across
// kill -9s of the server; a failed send fails the batch. PROBE_SLEEP_MS=<n> makes each
// invocation take n ms longer (so a kill finds a batch in flight).
// With PROBE_MODE=window it takes a tumbling-window event (events.DynamoDBTimeWindowEvent), logs
//
//	STREAMWINDOW {"start":"...","end":"...","final":false,"state":{"n":"2"},"keys":["a"]}
//
// and answers the state with n increased by the number of records.
// With PROBE_SOURCE=kinesis it takes a Kinesis trigger's event (events.KinesisEvent) instead and
// logs the same STREAMPROBE line: keys are the partition keys, and a record whose data is JSON
// with a "poison" member is a poison record (PROBE_SINK and PROBE_SLEEP_MS work there too).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"thaw.dev/examples/internal/sigv4"
)

// sqsCall posts one SQS JSON-protocol call and decodes a 200 answer into out.
func sqsCall(client *http.Client, operation string, input, out any) error {
	body, _ := json.Marshal(input)
	req, err := http.NewRequest("POST", os.Getenv("AWS_ENDPOINT_URL")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+operation)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", operation, resp.StatusCode, text)
	}
	return json.Unmarshal(text, out)
}

func sink(queue string, line []byte) error {
	client := &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv(), Service: "sqs"}}
	var found struct{ QueueUrl string }
	if err := sqsCall(client, "GetQueueUrl", map[string]string{"QueueName": queue}, &found); err != nil {
		return err
	}
	var sent map[string]any
	return sqsCall(client, "SendMessage",
		map[string]string{"QueueUrl": found.QueueUrl, "MessageBody": string(line)}, &sent)
}

type probe struct {
	N     int      `json:"n"`
	Seqs  []string `json:"seqs"`
	Names []string `json:"names"`
	Keys  []string `json:"keys"`
	Arn   string   `json:"arn"`
}

func handler(ctx context.Context, event events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	p := probe{N: len(event.Records), Seqs: []string{}, Names: []string{}, Keys: []string{}}
	var failures []events.DynamoDBBatchItemFailure
	for _, r := range event.Records {
		p.Seqs = append(p.Seqs, r.Change.SequenceNumber)
		p.Names = append(p.Names, r.EventName)
		p.Arn = r.EventSourceArn
		key := ""
		if v, ok := r.Change.Keys["pk"]; ok {
			key = v.String()
		}
		p.Keys = append(p.Keys, key)
		if _, poison := r.Change.NewImage["poison"]; poison {
			failures = append(failures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		}
	}
	if ms, err := strconv.Atoi(os.Getenv("PROBE_SLEEP_MS")); err == nil && ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	line, _ := json.Marshal(p)
	fmt.Printf("STREAMPROBE %s\n", line)
	if queue := os.Getenv("PROBE_SINK"); queue != "" {
		if err := sink(queue, line); err != nil {
			return events.DynamoDBEventResponse{}, err
		}
	}
	if len(failures) == 0 {
		return events.DynamoDBEventResponse{}, nil
	}
	switch os.Getenv("PROBE_MODE") {
	case "report":
		return events.DynamoDBEventResponse{BatchItemFailures: failures}, nil
	case "malformed":
		return events.DynamoDBEventResponse{
			BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: ""}}}, nil
	}
	return events.DynamoDBEventResponse{}, errors.New("poison record")
}

func kinesisHandler(ctx context.Context, event events.KinesisEvent) (events.KinesisEventResponse, error) {
	p := probe{N: len(event.Records), Seqs: []string{}, Names: []string{}, Keys: []string{}}
	var failures []events.KinesisBatchItemFailure
	for _, r := range event.Records {
		p.Seqs = append(p.Seqs, r.Kinesis.SequenceNumber)
		p.Names = append(p.Names, r.EventName)
		p.Arn = r.EventSourceArn
		p.Keys = append(p.Keys, r.Kinesis.PartitionKey)
		var data map[string]any
		if json.Unmarshal(r.Kinesis.Data, &data) == nil {
			if _, poison := data["poison"]; poison {
				failures = append(failures,
					events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
			}
		}
	}
	if ms, err := strconv.Atoi(os.Getenv("PROBE_SLEEP_MS")); err == nil && ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	line, _ := json.Marshal(p)
	fmt.Printf("STREAMPROBE %s\n", line)
	if queue := os.Getenv("PROBE_SINK"); queue != "" {
		if err := sink(queue, line); err != nil {
			return events.KinesisEventResponse{}, err
		}
	}
	if len(failures) == 0 {
		return events.KinesisEventResponse{}, nil
	}
	if os.Getenv("PROBE_MODE") == "report" {
		return events.KinesisEventResponse{BatchItemFailures: failures}, nil
	}
	return events.KinesisEventResponse{}, errors.New("poison record")
}

type windowProbe struct {
	Start string            `json:"start"`
	End   string            `json:"end"`
	Final bool              `json:"final"`
	State map[string]string `json:"state"`
	Keys  []string          `json:"keys"`
}

func windowHandler(ctx context.Context, event events.DynamoDBTimeWindowEvent) (events.DynamoDBTimeWindowEventResponse, error) {
	p := windowProbe{Start: event.Window.Start.UTC().Format(time.RFC3339),
		End: event.Window.End.UTC().Format(time.RFC3339), Final: event.IsFinalInvokeForWindow,
		State: event.State, Keys: []string{}}
	for _, r := range event.Records {
		p.Keys = append(p.Keys, r.Change.Keys["pk"].String())
	}
	line, _ := json.Marshal(p)
	fmt.Printf("STREAMWINDOW %s\n", line)
	n, _ := strconv.Atoi(event.State["n"])
	return events.DynamoDBTimeWindowEventResponse{
		TimeWindowEventResponseProperties: events.TimeWindowEventResponseProperties{
			State: map[string]string{"n": strconv.Itoa(n + len(event.Records))}}}, nil
}

func main() {
	if os.Getenv("PROBE_SOURCE") == "kinesis" {
		lambda.Start(kinesisHandler)
	}
	if os.Getenv("PROBE_MODE") == "window" {
		lambda.Start(windowHandler)
	}
	lambda.Start(handler)
}
