// streamsink is the no-op consumer of bench/stream_bench.py's throughput runs: it counts the
// records of each stream batch (Kinesis or DynamoDB Streams) and sends the count in one UDP
// datagram to $STREAMSINK_TO, so the harness can tell when a backlog has been drained without
// reading logs. It parses nothing but the record count, as a no-op function would.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type batch struct {
	Records []json.RawMessage `json:"Records"`
}

var conn net.Conn

func handler(ctx context.Context, b batch) error {
	if conn == nil {
		c, err := net.Dial("udp", os.Getenv("STREAMSINK_TO"))
		if err != nil {
			return err
		}
		conn = c
	}
	fmt.Fprintf(conn, "%d", len(b.Records))
	return nil
}

func main() {
	lambda.Start(handler)
}
