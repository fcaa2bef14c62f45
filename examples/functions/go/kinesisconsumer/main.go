// kinesisconsumer takes a Kinesis trigger's event, parsed by aws-lambda-go as
// events.KinesisEvent (which base64-decodes each record's data), and logs each record's data as
// readable text:
//
//	aws:kinesis:record shardId-000000000000:4959... key=1 data={"message": "Hello"}
//
// then "KINESISRECORDS <n>". It returns the decoded payloads, so `aws lambda invoke ...
// outputfile.txt` writes them where the seed wrote its outputfile.txt. The seed's third trigger
// (examples/scenarios/kinesis).
//
// A record whose data is JSON with "failUntil" (Unix ms) fails its batch until then: a retry to
// show in the stream report (the scenario's burst).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type response struct {
	Records  int      `json:"records"`
	Messages []string `json:"messages"`
}

func handler(ctx context.Context, event events.KinesisEvent) (response, error) {
	out := response{Messages: []string{}}
	for _, r := range event.Records {
		k := r.Kinesis
		text := string(k.Data)
		fmt.Printf("%s %s key=%s arrived=%s data=%s\n", r.EventName, r.EventID, k.PartitionKey,
			k.ApproximateArrivalTimestamp.UTC().Format(time.RFC3339Nano), text)
		out.Messages = append(out.Messages, text)
		var fail struct {
			FailUntil int64 `json:"failUntil"`
		}
		if json.Unmarshal(k.Data, &fail) == nil && time.Now().UnixMilli() < fail.FailUntil {
			return out, errors.New("failUntil not reached: " + r.EventID)
		}
	}
	out.Records = len(event.Records)
	fmt.Printf("KINESISRECORDS %d\n", out.Records)
	return out, nil
}

func main() {
	lambda.Start(handler)
}
