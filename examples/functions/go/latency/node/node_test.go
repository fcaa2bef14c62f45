package node

import (
	"testing"
	"time"

	"thaw.dev/examples/latency/hlc"
	"thaw.dev/examples/latency/skewclock"
	"thaw.dev/examples/latency/trace"
)

func TestServeMergesAndStamps(t *testing.T) {
	now := int64(1_000_000_000)
	clock := skewclock.New(-1_000_000, 0, 0).WithSource(func() time.Time { return time.Unix(0, now) })
	n := New(clock)
	// The caller's clock is 1 ms ahead of ours: its Hlc leads our physical time.
	header := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Hlc=1000000000.0"
	stamps, answer := n.Serve(header)
	if stamps.T2 != now-1_000_000 || stamps.T3 != now-1_000_000 {
		t.Fatalf("T2, T3 = %d, %d", stamps.T2, stamps.T3)
	}
	if !stamps.ReceivedHLC || stamps.HLC2 != "1000000000.1" || stamps.HLC3 != "1000000000.2" {
		t.Fatalf("stamps: %+v", stamps)
	}
	h, ok := trace.Parse(answer).HLC()
	if !ok || h != (hlc.Timestamp{L: 1000000000, C: 2}) || trace.Parse(answer).Get("Parent") != "53995c3f42cd8ad8" {
		t.Fatalf("answer header %q", answer)
	}
	// No Hlc in the request: the node's own clock alone.
	stamps, _ = n.Serve("Root=1-5759e988-bd862e3fe1be46a994272793")
	if stamps.ReceivedHLC || stamps.HLC2 != "1000000000.3" {
		t.Fatalf("without Hlc: %+v", stamps)
	}
}

func TestAnswerStampTakesTheLater(t *testing.T) {
	body := hlc.Timestamp{L: 100, C: 2}
	cases := []struct {
		header string
		want   hlc.Timestamp
		from   string
	}{
		{"Root=1-a-b;Hlc=100.1", body, "body"},                          // an echo of the caller's own stamp
		{"Root=1-a-b;Hlc=100.5", hlc.Timestamp{L: 100, C: 5}, "header"}, // the server stamped it later
		{"Root=1-a-b;Hlc=100.2", body, "header"},
		{"Root=1-a-b", body, "body"}, // no Hlc at all
		{"", body, "body"},
	}
	for _, tc := range cases {
		got, from := AnswerStamp(tc.header, body)
		if got != tc.want || from != tc.from {
			t.Errorf("%q: %v from %s, want %v from %s", tc.header, got, from, tc.want, tc.from)
		}
	}
}
