// The function of the seed's SNS experiment: subscribed to a topic of its own account, it is
// invoked by SNS with aws-lambda-go's events.SNSEvent and logs each message to CloudWatch Logs,
// as the seed's function did: "SNS message from <TopicArn>: <Message>".
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, event events.SNSEvent) error {
	for _, r := range event.Records {
		fmt.Printf("SNS message from %s: %s\n", r.SNS.TopicArn, r.SNS.Message)
	}
	return nil
}

func main() {
	lambda.Start(handler)
}
