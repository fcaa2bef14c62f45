// apihttp serves an HTTP API route (payload format 2.0): it parses the request with
// aws-lambda-go's events.APIGatewayV2HTTPRequest and answers 200 with {"parsed": the typed
// request, "raw": the event as it came}, a header x-apihttp and a cookie.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, event json.RawMessage) (any, error) {
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &req); err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]any{"parsed": req, "raw": event})
	if err != nil {
		return nil, err
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Apihttp": "yes"},
		Cookies:    []string{"c=1; Path=/"},
		Body:       string(body),
	}, nil
}

func main() { lambda.Start(handler) }
