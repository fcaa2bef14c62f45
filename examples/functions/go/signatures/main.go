// signatures exercises several aws-lambda-go handler shapes, picked by $SIGNATURE.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type MyEvent struct {
	Name string `json:"name"`
}

type MyResp struct {
	Greeting string `json:"greeting"`
}

func main() {
	var h interface{}
	switch s := os.Getenv("SIGNATURE"); s {
	case "none":
		h = func() {}
	case "err":
		h = func() error { return nil }
	case "in":
		h = func(e MyEvent) { fmt.Println("hello", e.Name) }
	case "ctxinerr":
		h = func(ctx context.Context, e MyEvent) (MyResp, error) {
			return MyResp{Greeting: "hello " + e.Name}, nil
		}
	case "ctxin":
		h = func(ctx context.Context, e MyEvent) error {
			if e.Name == "" {
				return fmt.Errorf("name is required")
			}
			return nil
		}
	case "out":
		h = func() (MyResp, error) { return MyResp{Greeting: "hello"}, nil }
	default:
		fmt.Fprintf(os.Stderr, "unknown SIGNATURE %q\n", s)
		os.Exit(2)
	}
	lambda.Start(h)
}
