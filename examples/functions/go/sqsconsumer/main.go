// sqsconsumer takes an SQS trigger's event, parses it as aws-lambda-go's events.SQSEvent and
// logs, per batch, the event as it came ("SQSRAW {json}") and what the SDK parsed ("SQSEVENT
// {json}", marshalled back), so tests can assert the exact fields, and when the handler started
// ("SQSSTART <Unix ns>", for send-to-handler latency). A message whose body starts with "fail" fails: with PARTIAL=1 in the environment it is
// reported in batchItemFailures (ReportBatchItemFailures), otherwise the whole batch returns an
// error. A body "bogus-id" makes the response name an itemIdentifier not in the batch; a body
// "sleep:N" sleeps N milliseconds (concurrency tests).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	started := time.Now().UnixNano()
	var event events.SQSEvent
	if err := json.Unmarshal(raw, &event); err != nil {
		return events.SQSEventResponse{}, err
	}
	fmt.Printf("SQSSTART %d\n", started)
	fmt.Printf("SQSRAW %s\n", raw)
	out, err := json.Marshal(event)
	if err != nil {
		return events.SQSEventResponse{}, err
	}
	fmt.Printf("SQSEVENT %s\n", out)
	partial := os.Getenv("PARTIAL") == "1"
	var resp events.SQSEventResponse
	for _, m := range event.Records {
		switch {
		case strings.HasPrefix(m.Body, "sleep:"):
			ms, _ := strconv.Atoi(strings.TrimPrefix(m.Body, "sleep:"))
			time.Sleep(time.Duration(ms) * time.Millisecond)
		case m.Body == "bogus-id":
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: "not-in-this-batch"})
		case strings.HasPrefix(m.Body, "fail"):
			if !partial {
				return resp, fmt.Errorf("message %s failed", m.MessageId)
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func main() {
	lambda.Start(handler)
}
