// scheduled takes an EventBridge rule's or a Scheduler schedule's event and logs it as it came
// ("SCHEDRAW {json}") and, when it parses as aws-lambda-go's events.CloudWatchEvent (the
// scheduled event's shape), as the SDK read it ("SCHEDEVENT {json}", marshalled back).
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, raw json.RawMessage) error {
	fmt.Printf("SCHEDRAW %s\n", raw)
	var event events.CloudWatchEvent
	if err := json.Unmarshal(raw, &event); err == nil && event.DetailType != "" {
		out, err := json.Marshal(event)
		if err != nil {
			return err
		}
		fmt.Printf("SCHEDEVENT %s\n", out)
	}
	return nil
}

func main() {
	lambda.Start(handler)
}
