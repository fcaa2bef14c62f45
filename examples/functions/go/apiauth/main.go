// apiauth is a Lambda authorizer for a REST API, TOKEN or REQUEST (aws-lambda-go's
// events.APIGatewayCustomAuthorizerRequest and ...RequestTypeRequest). The token (the
// authorizationToken, or the X-Token header of a REQUEST) decides: "allow" gets an Allow policy
// for the whole API stage, "deny" an explicit Deny, anything else the Unauthorized error. The
// context carries the token and how many times this environment has been called, so a test
// can see the cache.
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

func handler(ctx context.Context, event json.RawMessage) (events.APIGatewayCustomAuthorizerResponse, error) {
	calls++
	var kind struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(event, &kind); err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	var token, methodArn string
	if kind.Type == "TOKEN" {
		var req events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(event, &req); err != nil {
			return events.APIGatewayCustomAuthorizerResponse{}, err
		}
		token, methodArn = req.AuthorizationToken, req.MethodArn
	} else {
		var req events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(event, &req); err != nil {
			return events.APIGatewayCustomAuthorizerResponse{}, err
		}
		token, methodArn = req.Headers["X-Token"], req.MethodArn
	}
	effect := "Allow"
	switch token {
	case "allow":
	case "deny":
		effect = "Deny"
	default:
		return events.APIGatewayCustomAuthorizerResponse{}, errors.New("Unauthorized")
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
