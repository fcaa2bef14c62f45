package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"thaw.dev/examples/latency/hlc"
	"thaw.dev/examples/latency/node"
	"thaw.dev/examples/latency/skewclock"
	"thaw.dev/examples/latency/trace"
)

// A calls a host whose clock is 50 ms behind over HTTP: T2 - T1 is negative, NTP's offset is
// about -50 ms, the trace header carries A's Hlc onward and the host's back, and the HLC stamps
// stay in causal order.
func TestHTTPExchange(t *testing.T) {
	host := node.New(skewclock.New(-50_000_000, 0, time.Now().UnixNano()))
	var seen string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Get(trace.Header)
		stamps, answer := host.Serve(seen)
		w.Header().Set(trace.Header, answer)
		json.NewEncoder(w).Encode(stamps)
	}))
	defer server.Close()

	c := &caller{node: node.New(skewclock.New(0, 0, time.Now().UnixNano())), http: server.Client()}
	incoming := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	ctx := context.WithValue(context.Background(), "x-amzn-trace-id", incoming)
	r, err := c.handle(ctx, request{Via: "http", URL: server.URL})
	if err != nil {
		t.Fatal(err)
	}
	if r.T2-r.T1 >= 0 {
		t.Errorf("T2 - T1 = %d, want negative with the host 50 ms behind", r.T2-r.T1)
	}
	offset := float64((r.T2-r.T1)+(r.T3-r.T4)) / 2
	delay := float64((r.T4 - r.T1) - (r.T3 - r.T2))
	if offset+50e6 > delay/2 || offset+50e6 < -delay/2 {
		t.Errorf("offset %.0f ns is not within %.0f of -50 ms", offset, delay/2)
	}
	sent := trace.Parse(seen)
	if sent.Get("Root") != "1-5759e988-bd862e3fe1be46a994272793" || sent.Get("Parent") != "53995c3f42cd8ad8" || sent.Get("Sampled") != "1" {
		t.Errorf("onward header %q", seen)
	}
	if h, ok := sent.HLC(); !ok || h.String() != r.HLC.T1 {
		t.Errorf("onward Hlc %v, want A's T1 stamp %s", h, r.HLC.T1)
	}
	if r.AnswerHLC != "header" || !r.CalleeReceivedHLC || r.ReceivedHLC {
		t.Errorf("result %+v", r)
	}
	var stamps []hlc.Timestamp
	for _, text := range []string{r.HLC.T1, r.HLC.T2, r.HLC.T3, r.HLC.T4} {
		ts, err := hlc.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		stamps = append(stamps, ts)
	}
	for i := 1; i < 4; i++ {
		if !stamps[i-1].Less(stamps[i]) {
			t.Errorf("HLC %v not before %v", stamps[i-1], stamps[i])
		}
	}
}

func TestBadRequests(t *testing.T) {
	c := &caller{node: node.New(skewclock.New(0, 0, 0)), http: http.DefaultClient}
	for _, req := range []request{{Via: "invoke"}, {Via: "http"}, {Via: "carrier-pigeon"}} {
		if _, err := c.handle(context.Background(), req); err == nil {
			t.Errorf("%+v was accepted", req)
		}
	}
}
