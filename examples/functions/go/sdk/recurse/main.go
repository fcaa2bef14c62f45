// recurse invokes itself synchronously through the AWS SDK for Go v2, which copies the
// function's _X_AMZN_TRACE_ID into the call's X-Amzn-Trace-Id (its recursion detection
// middleware): each hop's Lineage count goes up by one until Lambda's loop detection stops it.
//
// Event: {"depth": 1, "stop": 0}; stop > 0 ends the chain at that depth. The answer is the
// deepest hop's: {"depth": N, "error": "RecursiveInvocationException" or "", "trace": "..."}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

type event struct {
	Depth int `json:"depth"`
	Stop  int `json:"stop"`
}

type answer struct {
	Depth int    `json:"depth"`
	Error string `json:"error"`
	Trace string `json:"trace"`
}

var client *lambdasvc.Client

func handle(ctx context.Context, ev event) (json.RawMessage, error) {
	here := answer{Depth: ev.Depth, Trace: os.Getenv("_X_AMZN_TRACE_ID")}
	if ev.Stop > 0 && ev.Depth >= ev.Stop {
		return json.Marshal(here)
	}
	payload, _ := json.Marshal(event{Depth: ev.Depth + 1, Stop: ev.Stop})
	out, err := client.Invoke(ctx, &lambdasvc.InvokeInput{
		FunctionName: aws.String(os.Getenv("AWS_LAMBDA_FUNCTION_NAME")),
		Payload:      payload,
	})
	var recursive *types.RecursiveInvocationException
	if errors.As(err, &recursive) {
		here.Error = recursive.ErrorCode()
		return json.Marshal(here)
	}
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("depth %d: function error %s: %s", ev.Depth+1, *out.FunctionError, out.Payload)
	}
	return out.Payload, nil
}

func main() {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN")}, nil
	})
	client = lambdasvc.New(lambdasvc.Options{
		Region:           region,
		Credentials:      creds,
		BaseEndpoint:     aws.String(os.Getenv("AWS_ENDPOINT_URL")),
		RetryMaxAttempts: 1, // a refused call is the answer, not something to retry
	})
	lambda.Start(handle)
}
