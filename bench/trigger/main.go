// Command trigger measures how long an event takes to reach a function's handler through thaw:
//
//	trigger -mode sync  -function stamp   # RequestResponse Invoke: request sent -> handler start
//	trigger -mode event -function stamp   # Event Invoke: request sent -> handler start, and 202 -> handler start
//	trigger -mode sqs   -function stamp   # SendMessage -> handler start through an event source mapping
//	trigger -mode fsync -dir STATE_DIR    # one 4 KiB write + fdatasync: the commit under every ack
//
// The function is examples/functions/go/stamp: its handler reads CLOCK_REALTIME first thing and
// sends it back over UDP with the event's id, so "handler start" is observed inside the function,
// on the clock this program reads too (one machine). Samples run one at a time with a pause
// between them (-gap), so each finds the environment idle (frozen) and, for sqs, the poller
// parked: this is the latency of one event on a quiet trigger, not under load. A sample whose
// handler ran in a new process (a cold start) is counted in "cold" and left out.
// Prints one JSON line (loadgen's Summary shape; latencies are request sent -> handler start)
// with the ack's own figures beside it. See bench/README.md.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"thaw.dev/bench/internal/sigv4"
	"thaw.dev/bench/load/loadgen"
)

// result is the JSON line: send -> handler start in the shared fields, and for event and sqs
// the acknowledgement (202, SendMessage's answer) beside it.
type result struct {
	loadgen.Summary
	AckP50us        float64 `json:"ack_p50_us,omitempty"`         // request sent -> ack received
	AckToHandlerP50 float64 `json:"ack_to_handler_p50_us"`        // ack received -> handler start (negative: the handler started first)
	AckToHandlerP99 float64 `json:"ack_to_handler_p99_us"`        //
	HandlerFirst    float64 `json:"handler_before_ack,omitempty"` // share of samples whose handler started before the ack arrived
	Cold            int     `json:"cold"`                         // samples left out: their handler ran in a new process
	Lost            int     `json:"lost"`                         // samples whose handler never reported
}

type stamp struct {
	ns   int64
	cold bool
}

type harness struct {
	endpoint string
	client   *http.Client
	creds    sigv4.Credentials
	stamps   chan [2]string // id, rest
	addr     string
}

// do signs and sends one request; t0 is taken after signing, just before the send.
func (h *harness) do(method, path, service string, header http.Header, body []byte) (status int, data []byte, t0, tAck int64, err error) {
	req, _ := http.NewRequest(method, h.endpoint+path, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	sigv4.Sign(req, body, h.creds, "us-east-1", service, time.Now())
	t0 = time.Now().UnixNano()
	res, err := h.client.Do(req)
	if err != nil {
		return 0, nil, t0, 0, err
	}
	tAck = time.Now().UnixNano() // the answer's head is in
	data, err = io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, data, t0, tAck, err
}

func (h *harness) sqs(op string, in, out any) error {
	body, _ := json.Marshal(in)
	hd := http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Target": {"AmazonSQS." + op}}
	status, data, _, _, err := h.do("POST", "/", "sqs", hd, body)
	if err == nil && status != 200 {
		err = fmt.Errorf("%s: HTTP %d: %s", op, status, data)
	}
	if err == nil && out != nil {
		err = json.Unmarshal(data, out)
	}
	return err
}

func (h *harness) lambda(method, path string, in, out any) error {
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	status, data, _, _, err := h.do(method, path, "lambda", http.Header{"Content-Type": {"application/json"}}, body)
	if err == nil && status/100 != 2 {
		err = fmt.Errorf("%s %s: HTTP %d: %s", method, path, status, data)
	}
	if err == nil && out != nil {
		err = json.Unmarshal(data, out)
	}
	return err
}

// listen receives the handler's datagrams: "ID NS N".
func (h *harness) listen(conn *net.UDPConn) {
	buf := make([]byte, 512)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return
		}
		id, rest, _ := strings.Cut(string(buf[:n]), " ")
		h.stamps <- [2]string{id, rest}
	}
}

// wait returns the handler's stamp for sample id, skipping stale ones.
func (h *harness) wait(id string, timeout time.Duration) (stamp, bool) {
	deadline := time.After(timeout)
	for {
		select {
		case s := <-h.stamps:
			if s[0] != id {
				continue
			}
			ns, n, _ := strings.Cut(s[1], " ")
			v, _ := strconv.ParseInt(ns, 10, 64)
			return stamp{ns: v, cold: n == "1"}, true
		case <-deadline:
			return stamp{}, false
		}
	}
}

// sqsSetup creates the queue and a mapping with no batching window, and waits until it is
// Enabled. The returned function deletes both.
func (h *harness) sqsSetup(queue, function string) (string, func(), error) {
	var created struct{ QueueUrl string }
	// Lambda refuses a mapping whose queue's visibility timeout is below the function's timeout.
	in := map[string]any{"QueueName": queue, "Attributes": map[string]string{"VisibilityTimeout": "900"}}
	if err := h.sqs("CreateQueue", in, &created); err != nil {
		return "", nil, err
	}
	var attrs struct{ Attributes map[string]string }
	if err := h.sqs("GetQueueAttributes", map[string]any{"QueueUrl": created.QueueUrl, "AttributeNames": []string{"QueueArn"}}, &attrs); err != nil {
		return "", nil, err
	}
	var mapping struct{ UUID, State string }
	err := h.lambda("POST", "/2015-03-31/event-source-mappings/", map[string]any{
		"EventSourceArn": attrs.Attributes["QueueArn"], "FunctionName": function,
		"BatchSize": 10, "MaximumBatchingWindowInSeconds": 0}, &mapping)
	if err != nil {
		return "", nil, err
	}
	cleanup := func() {
		h.lambda("DELETE", "/2015-03-31/event-source-mappings/"+mapping.UUID, nil, nil)
		h.sqs("DeleteQueue", map[string]string{"QueueUrl": created.QueueUrl}, nil)
	}
	for deadline := time.Now().Add(30 * time.Second); mapping.State != "Enabled"; {
		if time.Now().After(deadline) {
			cleanup()
			return "", nil, fmt.Errorf("mapping %s still %s after 30 s", mapping.UUID, mapping.State)
		}
		time.Sleep(20 * time.Millisecond)
		if err := h.lambda("GET", "/2015-03-31/event-source-mappings/"+mapping.UUID, nil, &mapping); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return created.QueueUrl, cleanup, nil
}

// fsyncFloor times one 4 KiB write and fdatasync in a file under dir, as a SQLite commit in WAL
// mode with synchronous=FULL does at least once.
func fsyncFloor(dir string, n, warmup int) ([]int64, error) {
	f, err := os.CreateTemp(dir, "trigger-fsync-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := bytes.Repeat([]byte{'x'}, 4096)
	var lat []int64
	for i := 0; i < n+warmup; i++ {
		t0 := time.Now()
		if _, err := f.WriteAt(page, int64(i%256)*4096); err != nil {
			return nil, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, err
		}
		if i >= warmup {
			lat = append(lat, int64(time.Since(t0)))
		}
	}
	return lat, nil
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9001", "thaw's base URL")
	function := flag.String("function", "stamp", "the stamp function's name (examples/functions/go/stamp)")
	mode := flag.String("mode", "sync", "sync, event, sqs or fsync")
	n := flag.Int("n", 300, "measured samples")
	warmup := flag.Int("warmup", 20, "samples run first and left out")
	gap := flag.Duration("gap", 3*time.Millisecond, "pause after each sample, so the next finds the environment idle")
	queue := flag.String("queue", "", "sqs: queue name (default trigger-PID; created, and deleted after)")
	dir := flag.String("dir", os.TempDir(), "fsync: directory of the file written (put it on the state dir's file system)")
	name := flag.String("name", "", "label for the output (default trigger_<mode>)")
	flag.Parse()
	label := *name
	if label == "" {
		label = "trigger_" + *mode
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "trigger:", err)
		os.Exit(2)
	}
	out := result{Summary: loadgen.Summary{Name: label, Concurrency: 1, Mode: "closed", Warmup: *warmup}}

	if *mode == "fsync" {
		lat, err := fsyncFloor(*dir, *n, *warmup)
		if err != nil {
			fail(err)
		}
		out.N = len(lat)
		out.Fill(lat)
		out.print()
		return
	}

	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fail(err)
	}
	h := &harness{
		endpoint: strings.TrimRight(*endpoint, "/"),
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: 4, DisableCompression: true, Proxy: nil}},
		creds:  sigv4.FromEnv(),
		stamps: make(chan [2]string, 1024),
		addr:   conn.LocalAddr().String(),
	}
	go h.listen(conn)

	var send func(id string) (t0, tAck int64, err error)
	payload := func(id string) []byte {
		b, _ := json.Marshal(map[string]string{"stamp": id, "to": h.addr})
		return b
	}
	invoke := func(kind string, want int) func(string) (int64, int64, error) {
		path := "/2015-03-31/functions/" + url.PathEscape(*function) + "/invocations"
		hd := http.Header{"X-Amz-Invocation-Type": {kind}}
		return func(id string) (int64, int64, error) {
			status, data, t0, tAck, err := h.do("POST", path, "lambda", hd, payload(id))
			if err == nil && status != want {
				err = fmt.Errorf("invoke: HTTP %d: %s", status, data)
			}
			return t0, tAck, err
		}
	}
	switch *mode {
	case "sync":
		send = invoke("RequestResponse", 200)
	case "event":
		send = invoke("Event", 202)
	case "sqs":
		q := *queue
		if q == "" {
			q = fmt.Sprintf("trigger-%d", os.Getpid())
		}
		queueURL, cleanup, err := h.sqsSetup(q, *function)
		if err != nil {
			fail(err)
		}
		defer cleanup()
		hd := http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amz-Target": {"AmazonSQS.SendMessage"}}
		send = func(id string) (int64, int64, error) {
			body, _ := json.Marshal(map[string]string{"QueueUrl": queueURL, "MessageBody": string(payload(id))})
			status, data, t0, tAck, err := h.do("POST", "/", "sqs", hd, body)
			if err == nil && status != 200 {
				err = fmt.Errorf("SendMessage: HTTP %d: %s", status, data)
			}
			return t0, tAck, err
		}
	default:
		fail(fmt.Errorf("-mode must be sync, event, sqs or fsync"))
	}

	var toHandler, ack, ackToHandler []int64
	handlerFirst := 0
	for i := 0; i < *warmup+*n; i++ {
		id := fmt.Sprintf("%d-%d", os.Getpid(), i)
		t0, tAck, err := send(id)
		if err != nil {
			fail(err)
		}
		s, ok := h.wait(id, 10*time.Second)
		time.Sleep(*gap)
		if i < *warmup {
			continue
		}
		switch {
		case !ok:
			out.Lost++
		case s.cold:
			out.Cold++
		default:
			toHandler = append(toHandler, s.ns-t0)
			ack = append(ack, tAck-t0)
			ackToHandler = append(ackToHandler, s.ns-tAck)
			if s.ns < tAck {
				handlerFirst++
			}
		}
	}
	out.N = *n
	out.Errors = out.Lost
	if len(toHandler) == 0 {
		fail(fmt.Errorf("no handler reported (lost %d, cold %d)", out.Lost, out.Cold))
	}
	out.Fill(toHandler)
	var a loadgen.Summary
	a.Fill(ack)
	out.AckP50us = a.P50us
	a.Fill(ackToHandler)
	out.AckToHandlerP50, out.AckToHandlerP99 = a.P50us, a.P99us
	out.HandlerFirst = float64(handlerFirst) / float64(len(toHandler))
	out.print()
}

func (r *result) print() {
	b, _ := json.Marshal(r)
	os.Stdout.Write(append(b, '\n'))
	fmt.Fprintf(os.Stderr, "%s: n=%d p50=%.1fus p90=%.1fus p99=%.1fus max=%.1fus", r.Name, r.N, r.P50us, r.P90us, r.P99us, r.MaxUs)
	if r.AckP50us > 0 {
		fmt.Fprintf(os.Stderr, "  ack p50=%.1fus  ack->handler p50=%.1fus p99=%.1fus (handler first in %.0f%%)",
			r.AckP50us, r.AckToHandlerP50, r.AckToHandlerP99, 100*r.HandlerFirst)
	}
	if r.Cold+r.Lost > 0 {
		fmt.Fprintf(os.Stderr, "  cold=%d lost=%d", r.Cold, r.Lost)
	}
	fmt.Fprintln(os.Stderr)
}
