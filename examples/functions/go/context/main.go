// context reports what the runtime gave the function: invoke context and environment.
package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

var envNames = []string{
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION",
	"_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
	"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_INITIALIZATION_TYPE",
}

type result struct {
	RequestID          string                         `json:"request_id"`
	DeadlineMs         int64                          `json:"deadline_ms"`
	InvokedFunctionArn string                         `json:"invoked_function_arn"`
	FunctionName       string                         `json:"function_name"`
	FunctionVersion    string                         `json:"function_version"`
	MemoryLimitInMB    int                            `json:"memory_limit_in_mb"`
	LogGroupName       string                         `json:"log_group_name"`
	LogStreamName      string                         `json:"log_stream_name"`
	TraceID            string                         `json:"trace_id"`
	ClientContext      *lambdacontext.ClientContext   `json:"client_context,omitempty"`
	Identity           *lambdacontext.CognitoIdentity `json:"identity,omitempty"`
	Env                map[string]string              `json:"env"`
	Cwd                string                         `json:"cwd"`
}

func handler(ctx context.Context) (result, error) {
	r := result{
		FunctionName:    lambdacontext.FunctionName,
		FunctionVersion: lambdacontext.FunctionVersion,
		MemoryLimitInMB: lambdacontext.MemoryLimitInMB,
		LogGroupName:    lambdacontext.LogGroupName,
		LogStreamName:   lambdacontext.LogStreamName,
		Env:             map[string]string{},
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.RequestID = lc.AwsRequestID
		r.InvokedFunctionArn = lc.InvokedFunctionArn
		// Only report client context / identity when the runtime actually sent them.
		if lc.ClientContext.Client.InstallationID != "" || lc.ClientContext.Client.AppTitle != "" ||
			len(lc.ClientContext.Env) > 0 || len(lc.ClientContext.Custom) > 0 {
			cc := lc.ClientContext
			r.ClientContext = &cc
		}
		if lc.Identity.CognitoIdentityID != "" || lc.Identity.CognitoIdentityPoolID != "" {
			id := lc.Identity
			r.Identity = &id
		}
	}
	if d, ok := ctx.Deadline(); ok {
		r.DeadlineMs = d.UnixNano() / int64(time.Millisecond)
	}
	if t, ok := ctx.Value("x-amzn-trace-id").(string); ok {
		r.TraceID = t
	}
	for _, n := range envNames {
		if v, ok := os.LookupEnv(n); ok {
			r.Env[n] = v
		}
	}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "USER_") {
			r.Env[k] = v
		}
	}
	r.Cwd, _ = os.Getwd()
	return r, nil
}

func main() {
	lambda.Start(handler)
}
