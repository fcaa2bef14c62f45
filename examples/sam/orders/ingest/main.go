// ingest takes orders from the queue and stores each in the orders table. A message that is not
// an order is reported as a batch item failure, so only it returns to the queue (and, after
// three receives, goes to the dead-letter queue).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type order struct {
	OrderID  string `json:"orderId"`
	Item     string `json:"item"`
	Quantity int    `json:"quantity"`
}

var (
	table  = os.Getenv("TABLE_NAME")
	client *dynamodb.Client
)

func store(ctx context.Context, o order) error {
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"orderId":  &types.AttributeValueMemberS{Value: o.OrderID},
			"item":     &types.AttributeValueMemberS{Value: o.Item},
			"quantity": &types.AttributeValueMemberN{Value: strconv.Itoa(o.Quantity)},
		},
	})
	return err
}

func handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var o order
		if err := json.Unmarshal([]byte(m.Body), &o); err != nil || o.OrderID == "" {
			log.Printf("ingest: rejected message %s: not an order", m.MessageId)
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if err := store(ctx, o); err != nil {
			return resp, fmt.Errorf("storing order %s: %w", o.OrderID, err)
		}
		log.Printf("ingest: stored order %s (%d x %s)", o.OrderID, o.Quantity, o.Item)
	}
	return resp, nil
}

func main() {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN")}, nil
	})
	options := dynamodb.Options{Region: os.Getenv("AWS_REGION"), Credentials: creds}
	// On thaw, AWS_ENDPOINT_URL points the SDK at thaw's own DynamoDB.
	if endpoint := os.Getenv("AWS_ENDPOINT_URL"); endpoint != "" {
		options.BaseEndpoint = aws.String(endpoint)
	}
	client = dynamodb.New(options)
	lambda.Start(handle)
}
