// apiauth is a Lambda authorizer for a REST API, TOKEN or REQUEST (aws-lambda-go's
// events.APIGatewayCustomAuthorizerRequest and ...RequestTypeRequest), and for an HTTP API at
// payload format 1.0 (events.APIGatewayV2CustomAuthorizerV1Request, answered with a policy) or
// 2.0 (events.APIGatewayV2CustomAuthorizerV2Request, answered with a simple response). The
// token (the authorizationToken, or the X-Token header) decides: "allow" is allowed (an Allow
// policy for the whole API stage), "deny" is denied (an explicit Deny), anything else is the
// Unauthorized error. The context carries the token and how many times this environment has
// been called, so a test can see the cache.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var calls int

func handler(ctx context.Context, event json.RawMessage) (any, error) {
	calls++
	var kind struct {
		Type    string `json:"type"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(event, &kind); err != nil {
		return nil, err
	}
	var token, methodArn string
	switch {
	case kind.Version == "2.0":
		var req events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(event, &req); err != nil {
			return nil, err
		}
		if req.Headers["x-token"] != "allow" && req.Headers["x-token"] != "deny" {
			return nil, errors.New("Unauthorized")
		}
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{
			IsAuthorized: req.Headers["x-token"] == "allow",
			Context:      map[string]interface{}{"user": req.Headers["x-token"], "calls": calls, "route": req.RouteArn},
		}, nil
	case kind.Version == "1.0":
		var req events.APIGatewayV2CustomAuthorizerV1Request
		if err := json.Unmarshal(event, &req); err != nil {
			return nil, err
		}
		token, methodArn = req.IdentitySource, req.MethodArn
	case kind.Type == "TOKEN":
		var req events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(event, &req); err != nil {
			return nil, err
		}
		token, methodArn = req.AuthorizationToken, req.MethodArn
	default:
		var req events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(event, &req); err != nil {
			return nil, err
		}
		token, methodArn = req.Headers["X-Token"], req.MethodArn
	}
	effect := "Allow"
	switch token {
	case "allow":
	case "deny":
		effect = "Deny"
	default:
		return nil, errors.New("Unauthorized")
	}
	// arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH -> .../API/STAGE/*
	parts := strings.SplitN(methodArn, "/", 3)
	resource := methodArn
	if len(parts) == 3 {
		resource = parts[0] + "/" + parts[1] + "/*"
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "user-" + token,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{
				{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{resource}},
			},
		},
		Context: map[string]interface{}{"user": token, "calls": calls},
	}, nil
}

func main() { lambda.Start(handler) }
