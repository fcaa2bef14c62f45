// urlecho serves a function URL: it parses the request with aws-lambda-go's
// events.LambdaFunctionURLRequest and, by its ?mode=, answers:
//
//	(none)     200 with the event as it came (all of it, also what the Go type has no field
//	           for), a header x-urlecho and two cookies
//	binary     bytes 0..255 as a base64 body (application/octet-stream)
//	reflect    the request body decoded, sent back as binary
//	string     a plain JSON string (no statusCode)
//	object     a JSON object without statusCode
//	number     the number 42
//	status     statusCode from ?code=
//	error      a function error
//	malformed  a statusCode that is not a number
//	prelude    the HTTP-integration prelude of a streamed answer (JSON metadata, 8 NUL
//	           bytes) and a raw body, sent as raw bytes
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// raw keeps encoded JSON from being encoded again (a []byte in an `any` would be base64).
func raw(v any) (any, error) {
	b, err := json.Marshal(v)
	return json.RawMessage(b), err
}

func respond(r events.LambdaFunctionURLResponse) (any, error) {
	return raw(r)
}

func handler(ctx context.Context, event json.RawMessage) (any, error) {
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(event, &req); err != nil {
		return nil, err
	}
	switch req.QueryStringParameters["mode"] {
	case "binary":
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		return respond(events.LambdaFunctionURLResponse{
			StatusCode:      200,
			Headers:         map[string]string{"content-type": "application/octet-stream"},
			Body:            base64.StdEncoding.EncodeToString(all),
			IsBase64Encoded: true,
		})
	case "reflect":
		body := []byte(req.Body)
		if req.IsBase64Encoded {
			decoded, err := base64.StdEncoding.DecodeString(req.Body)
			if err != nil {
				return nil, err
			}
			body = decoded
		}
		return respond(events.LambdaFunctionURLResponse{
			StatusCode:      200,
			Headers:         map[string]string{"content-type": "application/octet-stream"},
			Body:            base64.StdEncoding.EncodeToString(body),
			IsBase64Encoded: true,
		})
	case "string":
		return raw("hello from urlecho")
	case "object":
		return raw(map[string]string{"message": "no statusCode"})
	case "number":
		return json.RawMessage("42"), nil
	case "status":
		code, _ := strconv.Atoi(req.QueryStringParameters["code"])
		return respond(events.LambdaFunctionURLResponse{StatusCode: code, Body: "status"})
	case "error":
		return nil, errors.New("urlecho was asked to fail")
	case "malformed":
		return json.RawMessage(`{"statusCode":"abc"}`), nil
	case "prelude":
		// aws-lambda-go sends an io.Reader's bytes as they are, with its ContentType.
		prelude := `{"statusCode":201,"headers":{"x-streamed":"1"},"cookies":["s=1"]}`
		return integration{r: strings.NewReader(prelude + strings.Repeat("\x00", 8) + "streamed body")}, nil
	}
	return respond(events.LambdaFunctionURLResponse{
		StatusCode: 200,
		Headers:    map[string]string{"content-type": "application/json", "x-urlecho": "1"},
		Body:       string(event),
		Cookies:    []string{"echo=1; Path=/", "second=2; Path=/"},
	})
}

// integration is a stream in the HTTP integration format, as a function URL reads it.
// (No exported fields: aws-lambda-go sends a reader that marshals to {} as its bytes.)
type integration struct{ r io.Reader }

func (i integration) Read(p []byte) (int, error) { return i.r.Read(p) }

func (integration) ContentType() string {
	return "application/vnd.awslambda.http-integration-response"
}

func main() {
	lambda.Start(handler)
}
