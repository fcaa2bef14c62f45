// streamclient calls InvokeWithResponseStream with the AWS SDK for Go v2 and prints one JSON
// line per event as it arrives: {"t": seconds since the call, "chunk": text} or
// {"t":..., "complete": {"errorCode":..., "errorDetails":..., "logResult":...}}.
// Usage: streamclient ENDPOINT FUNCTION PAYLOAD. tests/integration/test_response_streaming.py.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: streamclient ENDPOINT FUNCTION PAYLOAD")
		os.Exit(2)
	}
	cfg := aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "SECRET"}, nil
		}),
		RetryMaxAttempts: 1,
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(os.Args[1]) })
	start := time.Now()
	out, err := client.InvokeWithResponseStream(context.Background(), &lambda.InvokeWithResponseStreamInput{
		FunctionName: aws.String(os.Args[2]),
		Payload:      []byte(os.Args[3]),
		LogType:      types.LogTypeTail,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
	stream := out.GetStream()
	defer stream.Close()
	enc := json.NewEncoder(os.Stdout)
	complete := false
	for event := range stream.Events() {
		t := time.Since(start).Seconds()
		switch v := event.(type) {
		case *types.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			enc.Encode(map[string]any{"t": t, "chunk": string(v.Value.Payload)})
		case *types.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			complete = true
			enc.Encode(map[string]any{"t": t, "complete": map[string]string{
				"errorCode":    aws.ToString(v.Value.ErrorCode),
				"errorDetails": aws.ToString(v.Value.ErrorDetails),
				"logResult":    aws.ToString(v.Value.LogResult),
			}})
		}
	}
	if err := stream.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(1)
	}
	if !complete {
		fmt.Fprintln(os.Stderr, "stream: ended without InvokeComplete")
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "status %d version %s\n", out.StatusCode, aws.ToString(out.ExecutedVersion))
}
