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
