// latency-a is the caller of the latency experiment (docs/latency.md). Per invocation it stamps
// T1 with its skewed clock, calls the target once, stamps T4 on the answer, and returns T1..T4
// (T2 and T3 as the callee stamped them) with the HLC readings at those four events. The
// target is latency-b through the Invoke API (the real AWS SDK at $AWS_ENDPOINT_URL), or the
// test host over plain HTTP:
//
//	{"via":"invoke","target":"latency-b"}   {"via":"http","url":"http://10.77.1.2:8080/"}
//
// The trace header's Hlc carries A's send stamp onward; the answer's Hlc (the later of the
// response header's and the callee's T3 stamp in the body) is merged at T4.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"thaw.dev/examples/latency/hlc"
	"thaw.dev/examples/latency/node"
	"thaw.dev/examples/latency/skewclock"
	"thaw.dev/examples/latency/trace"
)

type request struct {
	Via    string `json:"via"`
	Target string `json:"target"`
	URL    string `json:"url"`
}

type hlcStamps struct {
	T1 string `json:"t1"`
	T2 string `json:"t2"`
	T3 string `json:"t3"`
	T4 string `json:"t4"`
}

type result struct {
	Via string    `json:"via"`
	T1  int64     `json:"t1"`
	T2  int64     `json:"t2"`
	T3  int64     `json:"t3"`
	T4  int64     `json:"t4"`
	HLC hlcStamps `json:"hlc"`
	// Where the merged answer Hlc came from: "header" (X-Amzn-Trace-Id of the answer, when it is
	// not older than the body's) or "body" (the callee's T3 stamp).
	AnswerHLC         string `json:"answer_hlc"`
	ReceivedHLC       bool   `json:"received_hlc"` // A's own invocation carried Hlc
	CalleeReceivedHLC bool   `json:"callee_received_hlc"`
}

type caller struct {
	node   *node.Node
	client *lambdasvc.Client
	http   *http.Client
}

func traceHeader(ctx context.Context) string {
	if v, ok := ctx.Value("x-amzn-trace-id").(string); ok && v != "" {
		return v
	}
	return os.Getenv("_X_AMZN_TRACE_ID")
}

// invoke calls the target function with header as its X-Amzn-Trace-Id; returns the body and the
// answer's trace header.
func (c *caller) invoke(ctx context.Context, target, header string) ([]byte, string, error) {
	out, err := c.client.Invoke(ctx, &lambdasvc.InvokeInput{
		FunctionName: aws.String(target),
		Payload:      []byte("{}"),
	}, func(o *lambdasvc.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue(trace.Header, header))
	})
	if err != nil {
		return nil, "", err
	}
	if out.FunctionError != nil {
		return nil, "", fmt.Errorf("%s: function error %s: %s", target, *out.FunctionError, out.Payload)
	}
	answer := ""
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
		answer = raw.Header.Get(trace.Header)
	}
	return out.Payload, answer, nil
}

func (c *caller) post(ctx context.Context, url, header string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte("{}")))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set(trace.Header, header)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	return body, resp.Header.Get(trace.Header), nil
}

func (c *caller) handle(ctx context.Context, req request) (result, error) {
	incoming := traceHeader(ctx)
	r := result{Via: req.Via}
	if m, ok := trace.Parse(incoming).HLC(); ok {
		c.node.HLC.Update(m)
		r.ReceivedHLC = true
	}
	t1, h1 := c.node.Send()
	header := trace.Parse(incoming).Onward(h1)
	var body []byte
	var answer string
	var err error
	switch req.Via {
	case "invoke":
		if req.Target == "" {
			return r, fmt.Errorf(`via "invoke" needs "target"`)
		}
		body, answer, err = c.invoke(ctx, req.Target, header)
	case "http":
		if req.URL == "" {
			return r, fmt.Errorf(`via "http" needs "url"`)
		}
		body, answer, err = c.post(ctx, req.URL, header)
	default:
		return r, fmt.Errorf(`"via" must be "invoke" or "http", not %q`, req.Via)
	}
	t4 := c.node.Skew.NowNs()
	if err != nil {
		return r, err
	}
	var callee node.CalleeStamps
	if err := json.Unmarshal(body, &callee); err != nil {
		return r, fmt.Errorf("callee answer %q: %v", body, err)
	}
	m, err := hlc.Parse(callee.HLC3)
	if err != nil {
		return r, fmt.Errorf("callee hlc3: %v", err)
	}
	m, r.AnswerHLC = node.AnswerStamp(answer, m)
	h4 := c.node.HLC.UpdateAt(t4, m)
	r.T1, r.T2, r.T3, r.T4 = t1, callee.T2, callee.T3, t4
	r.HLC = hlcStamps{T1: h1.String(), T2: callee.HLC2, T3: callee.HLC3, T4: h4.String()}
	r.CalleeReceivedHLC = callee.ReceivedHLC
	return r, nil
}

func main() {
	clock, err := skewclock.FromEnv()
	if err != nil {
		panic(err)
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	// thaw accepts any credentials; the function's own (if any) are used when set.
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		if id == "" || secret == "" {
			id, secret = "thaw", "thaw"
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret,
			SessionToken: os.Getenv("AWS_SESSION_TOKEN")}, nil
	})
	transport := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
	c := &caller{
		node: node.New(clock),
		client: lambdasvc.New(lambdasvc.Options{
			Region:           region,
			Credentials:      creds,
			BaseEndpoint:     aws.String(endpoint),
			RetryMaxAttempts: 1, // a failed call is a failed sample, not a hidden retry
			HTTPClient:       &http.Client{Transport: transport},
		}),
		http: &http.Client{Transport: transport.Clone(), Timeout: 10 * time.Second},
	}
	lambda.Start(c.handle)
}
