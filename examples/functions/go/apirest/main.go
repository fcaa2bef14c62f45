// apirest serves a REST API route (payload format 1.0): it parses the request with
// aws-lambda-go's events.APIGatewayProxyRequest and answers, by its ?mode=:
//
//	(none)     200 with {"parsed": the typed request, "raw": the event as it came}, a header
//	           x-apirest and two values of x-multi (multiValueHeaders)
//	binary     bytes 0..255 as a base64 body (application/octet-stream)
//	error      a function error
//	malformed  a statusCode that is not a number
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handler(ctx context.Context, event json.RawMessage) (any, error) {
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(event, &req); err != nil {
		return nil, err
	}
	switch req.QueryStringParameters["mode"] {
	case "binary":
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		return events.APIGatewayProxyResponse{
			StatusCode:      200,
			Headers:         map[string]string{"Content-Type": "application/octet-stream"},
			Body:            base64.StdEncoding.EncodeToString(all),
			IsBase64Encoded: true,
		}, nil
	case "error":
		return nil, errors.New("apirest failed on purpose")
	case "malformed":
		return json.RawMessage(`{"statusCode":"soon","body":"x"}`), nil
	}
	body, err := json.Marshal(map[string]any{"parsed": req, "raw": event})
	if err != nil {
		return nil, err
	}
	return events.APIGatewayProxyResponse{
		StatusCode:        200,
		Headers:           map[string]string{"Content-Type": "application/json", "X-Apirest": "yes"},
		MultiValueHeaders: map[string][]string{"X-Multi": {"one", "two"}},
		Body:              string(body),
	}, nil
}

func main() { lambda.Start(handler) }
