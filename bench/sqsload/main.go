// Command sqsload drives thaw's SQS API (JSON protocol) on one queue, without an SDK in the way:
//
//	sqsload -mode send -n 20000 -c 8          # SendMessage, closed loop, latency and msg/s
//	sqsload -mode batch -n 20000 -c 8         # SendMessageBatch of 10
//	sqsload -mode drain -c 8                  # ReceiveMessage(10) + DeleteMessageBatch until empty
//
// send and batch use the shared driver (load/loadgen) and print its JSON line; drain prints one
// JSON line of its own with messages/s. The queue is created if missing and never deleted, so
// `send` then `drain` measures both directions of one queue. See bench/README.md.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"thaw.dev/bench/internal/sigv4"
	"thaw.dev/bench/load/loadgen"
)

type client struct {
	endpoint string
	http     *http.Client
}

func (c *client) header(op string, body []byte) http.Header {
	req, _ := http.NewRequest("POST", c.endpoint+"/", nil)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
	sigv4.Sign(req, body, sigv4.FromEnv(), "us-east-1", "sqs", time.Now())
	return req.Header
}

// call sends one JSON request and decodes the answer into out (when not nil).
func (c *client) call(op string, in, out any) error {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest("POST", c.endpoint+"/", bytes.NewReader(body))
	req.Header = c.header(op, body)
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: HTTP %d: %s", op, res.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9001", "thaw's base URL")
	queue := flag.String("queue", "sqsload", "queue name (created if missing)")
	mode := flag.String("mode", "send", "send, batch or drain")
	n := flag.Int("n", 20000, "send/batch: requests including warm-up")
	c := flag.Int("c", 8, "concurrent clients")
	size := flag.Int("size", 100, "message body bytes")
	name := flag.String("name", "", "label for the output (default sqs_<mode>)")
	flag.Parse()

	label := *name
	if label == "" {
		label = "sqs_" + *mode
	}
	cl := &client{strings.TrimRight(*endpoint, "/"), &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *c * 2},
	}}
	var created struct{ QueueUrl string }
	if err := cl.call("CreateQueue", map[string]string{"QueueName": *queue}, &created); err != nil {
		fmt.Fprintln(os.Stderr, "sqsload:", err)
		os.Exit(2)
	}
	msg := strings.Repeat("m", *size)

	switch *mode {
	case "send", "batch":
		op, in := "SendMessage", any(map[string]string{"QueueUrl": created.QueueUrl, "MessageBody": msg})
		if *mode == "batch" {
			entries := make([]map[string]string, 10)
			for i := range entries {
				entries[i] = map[string]string{"Id": fmt.Sprint(i), "MessageBody": msg}
			}
			op, in = "SendMessageBatch", map[string]any{"QueueUrl": created.QueueUrl, "Entries": entries}
		}
		body, _ := json.Marshal(in)
		// Signed once: every request is the same (thaw does not check signatures by default).
		s, err := loadgen.Run(loadgen.Config{
			Name: label, URL: cl.endpoint + "/", Header: cl.header(op, body), Body: body,
			N: *n, Concurrency: *c, Warmup: loadgen.DefaultWarmup(*n), Timeout: 60 * time.Second,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "sqsload:", err)
			os.Exit(2)
		}
		s.Print()
		if s.N-s.Errors <= 0 {
			os.Exit(1)
		}
	case "drain":
		drain(cl, created.QueueUrl, *c, label)
	default:
		fmt.Fprintln(os.Stderr, "sqsload: -mode must be send, batch or drain")
		os.Exit(2)
	}
}

// drain receives and deletes in batches of 10 with c clients until a receive finds the queue
// empty, and prints messages per second.
func drain(cl *client, url string, c int, label string) {
	type handle struct{ ReceiptHandle string }
	var total, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var got struct{ Messages []handle }
				in := map[string]any{"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}
				if err := cl.call("ReceiveMessage", in, &got); err != nil {
					errs.Add(1)
					return
				}
				if len(got.Messages) == 0 {
					return
				}
				entries := make([]map[string]string, len(got.Messages))
				for j, m := range got.Messages {
					entries[j] = map[string]string{"Id": fmt.Sprint(j), "ReceiptHandle": m.ReceiptHandle}
				}
				del := map[string]any{"QueueUrl": url, "Entries": entries}
				if err := cl.call("DeleteMessageBatch", del, nil); err != nil {
					errs.Add(1)
					return
				}
				total.Add(int64(len(got.Messages)))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	out, _ := json.Marshal(map[string]any{
		"name": label, "messages": total.Load(), "concurrency": c, "errors": errs.Load(),
		"elapsed_s": elapsed, "throughput_msgs": float64(total.Load()) / elapsed,
	})
	fmt.Println(string(out))
	fmt.Fprintf(os.Stderr, "%s: %d messages in %.2f s: %.0f msg/s, %d errors\n", label,
		total.Load(), elapsed, float64(total.Load())/elapsed, errs.Load())
	if errs.Load() > 0 {
		os.Exit(1)
	}
}
