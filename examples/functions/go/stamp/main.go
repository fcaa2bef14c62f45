// stamp reports when its handler started, for bench/trigger: the first thing the handler does
// is read the clock (CLOCK_REALTIME, the clock the harness reads too; one machine, no time
// namespace), then it sends "ID NS N" in one UDP datagram to the address its event names, where
// N counts this process's invocations (1: a cold start). The event is {"stamp":ID,"to":ADDR}
// from a direct invoke, or an SQS event whose records' bodies are that JSON, a Kinesis event
// whose records' data is that JSON, or a DynamoDB stream event whose records' NewImage has the
// string attributes stamp and to (one datagram per record).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type stampEvent struct {
	Stamp   string `json:"stamp"`
	To      string `json:"to"`
	Records []struct {
		Body    string `json:"body"`
		Kinesis struct {
			Data []byte `json:"data"` // base64 in the event
		} `json:"kinesis"`
		DynamoDB struct {
			NewImage struct {
				Stamp struct {
					S string `json:"S"`
				} `json:"stamp"`
				To struct {
					S string `json:"S"`
				} `json:"to"`
			} `json:"NewImage"`
		} `json:"dynamodb"`
	} `json:"Records"`
}

var (
	invocations int
	conns       = map[string]net.Conn{}
)

func send(to, id string, started int64) {
	c, ok := conns[to]
	if !ok {
		var err error
		if c, err = net.Dial("udp", to); err != nil {
			return
		}
		conns[to] = c
	}
	fmt.Fprintf(c, "%s %d %d", id, started, invocations)
}

func handler(ctx context.Context, raw json.RawMessage) error {
	started := time.Now().UnixNano()
	invocations++
	var ev stampEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return err
	}
	if ev.Stamp != "" {
		send(ev.To, ev.Stamp, started)
	}
	for _, r := range ev.Records {
		var body stampEvent
		if json.Unmarshal([]byte(r.Body), &body) == nil && body.Stamp != "" {
			send(body.To, body.Stamp, started)
		} else if json.Unmarshal(r.Kinesis.Data, &body) == nil && body.Stamp != "" {
			send(body.To, body.Stamp, started)
		} else if image := r.DynamoDB.NewImage; image.Stamp.S != "" {
			send(image.To.S, image.Stamp.S, started)
		}
	}
	return nil
}

func main() {
	lambda.Start(handler)
}
