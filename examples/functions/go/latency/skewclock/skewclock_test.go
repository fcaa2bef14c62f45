package skewclock

import (
	"testing"
	"time"
)

func fixed(ns int64) func() time.Time { return func() time.Time { return time.Unix(0, ns) } }

func TestOffsetOnly(t *testing.T) {
	c := New(-2_500_000, 0, 0).WithSource(fixed(1_000_000_000_000))
	if got, want := c.NowNs(), int64(1_000_000_000_000-2_500_000); got != want {
		t.Fatalf("NowNs = %d, want %d", got, want)
	}
}

func TestDriftAccumulatesFromEpoch(t *testing.T) {
	const epoch = int64(1_700_000_000_000_000_000)
	c := New(1000, 50, epoch) // 50 ppm fast
	for _, elapsed := range []int64{0, 1_000_000_000, 60_000_000_000} {
		now := epoch + elapsed
		got := c.WithSource(fixed(now)).NowNs()
		want := now + 1000 + elapsed*50/1_000_000
		if got != want {
			t.Errorf("after %d ns: NowNs = %d, want %d", elapsed, got, want)
		}
	}
	// A slow clock falls behind.
	slow := New(0, -20, epoch).WithSource(fixed(epoch + 10_000_000_000))
	if got, want := slow.NowNs()-(epoch+10_000_000_000), int64(-200_000); got != want {
		t.Errorf("slow clock error = %d, want %d", got, want)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{EnvOffsetNs: "-300000", EnvDriftPPM: "12.5", EnvEpochNs: "1000"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := fromLookup(lookup, fixed(5000))
	if err != nil {
		t.Fatal(err)
	}
	if c.OffsetNs() != -300000 || c.DriftPPM() != 12.5 || c.EpochNs() != 1000 {
		t.Fatalf("got %d %v %d", c.OffsetNs(), c.DriftPPM(), c.EpochNs())
	}
	// Unset: no skew, epoch is now.
	c, err = fromLookup(func(string) (string, bool) { return "", false }, fixed(5000))
	if err != nil || c.NowNs() != 5000 || c.EpochNs() != 5000 {
		t.Fatalf("unset: %v %v", c, err)
	}
	env[EnvDriftPPM] = "fast"
	if _, err := fromLookup(lookup, fixed(0)); err == nil {
		t.Fatal("a bad drift was accepted")
	}
	env[EnvDriftPPM] = "1"
	env[EnvOffsetNs] = "1.5"
	if _, err := fromLookup(lookup, fixed(0)); err == nil {
		t.Fatal("a fractional offset was accepted")
	}
}
