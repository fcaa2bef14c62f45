package trace

import (
	"regexp"
	"testing"

	"thaw.dev/examples/latency/hlc"
)

const sample = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Hlc=1764280000123456789.3"

func TestParseWithHlc(t *testing.T) {
	tr := Parse(sample)
	if tr.Get("Root") != "1-5759e988-bd862e3fe1be46a994272793" || tr.Get("Parent") != "53995c3f42cd8ad8" || tr.Get("Sampled") != "1" {
		t.Fatalf("fields: %+v", tr.Fields)
	}
	ts, ok := tr.HLC()
	if !ok || ts != (hlc.Timestamp{L: 1764280000123456789, C: 3}) {
		t.Fatalf("HLC = %v, %v", ts, ok)
	}
}

func TestWithoutHlc(t *testing.T) {
	tr := Parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
	if _, ok := tr.HLC(); ok {
		t.Fatal("an absent Hlc was reported")
	}
	if _, ok := Parse("Root=x;Hlc=garbage").HLC(); ok {
		t.Fatal("a malformed Hlc was reported")
	}
	if _, ok := Parse("").HLC(); ok {
		t.Fatal("an empty header has no Hlc")
	}
}

func TestOnward(t *testing.T) {
	got := Parse(sample).Onward(hlc.Timestamp{L: 1764280000999999999, C: 0})
	want := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Hlc=1764280000999999999.0"
	if got != want {
		t.Fatalf("Onward = %q, want %q", got, want)
	}
	fresh := Parse("").Onward(hlc.Timestamp{L: 5, C: 1})
	pattern := `^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Hlc=5\.1$`
	if !regexp.MustCompile(pattern).MatchString(fresh) {
		t.Fatalf("Onward without a trace = %q", fresh)
	}
}
