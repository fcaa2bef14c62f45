// Package skewclock is a wall clock with a configured error: time.Now() plus an offset and a
// frequency error (drift) in parts per million, measured from a fixed epoch so that it
// accumulates as a free-running oscillator's error does:
//
//	skewed(t) = t + offset + (t - epoch) * drift_ppm / 1e6
//
// One machine has one clock, and a time namespace cannot shift CLOCK_REALTIME, so the latency
// experiment's functions and hosts apply their skew themselves (docs/latency.md). A Clock is
// safe for concurrent use.
package skewclock

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Environment variables read by FromEnv.
const (
	EnvOffsetNs = "THAW_SKEW_OFFSET_NS" // integer nanoseconds, may be negative
	EnvDriftPPM = "THAW_SKEW_DRIFT_PPM" // decimal parts per million, may be negative
	EnvEpochNs  = "THAW_SKEW_EPOCH_NS"  // Unix nanoseconds where the drift term is zero
)

// Clock is a skewed wall clock. The zero value is not usable; use New or FromEnv.
type Clock struct {
	offsetNs int64
	driftPPM float64
	epochNs  int64
	now      func() time.Time
}

// New returns a clock offset by offsetNs and running driftPPM fast (negative: slow) since
// epochNs (Unix nanoseconds).
func New(offsetNs int64, driftPPM float64, epochNs int64) *Clock {
	return &Clock{offsetNs: offsetNs, driftPPM: driftPPM, epochNs: epochNs, now: time.Now}
}

// WithSource returns a copy of c that reads true time from now (for tests).
func (c *Clock) WithSource(now func() time.Time) *Clock {
	copied := *c
	copied.now = now
	return &copied
}

// FromEnv reads the THAW_SKEW_* variables; unset ones are zero, except the epoch, which
// defaults to the current time (so a clock with drift and no epoch starts with no drift error).
func FromEnv() (*Clock, error) {
	return fromLookup(os.LookupEnv, time.Now)
}

func fromLookup(lookup func(string) (string, bool), now func() time.Time) (*Clock, error) {
	var offset int64
	var drift float64
	epoch := now().UnixNano()
	var err error
	if v, ok := lookup(EnvOffsetNs); ok && v != "" {
		if offset, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("%s=%q: not an integer", EnvOffsetNs, v)
		}
	}
	if v, ok := lookup(EnvDriftPPM); ok && v != "" {
		if drift, err = strconv.ParseFloat(v, 64); err != nil {
			return nil, fmt.Errorf("%s=%q: not a number", EnvDriftPPM, v)
		}
	}
	if v, ok := lookup(EnvEpochNs); ok && v != "" {
		if epoch, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("%s=%q: not an integer", EnvEpochNs, v)
		}
	}
	c := New(offset, drift, epoch)
	c.now = now
	return c, nil
}

// Skew is the clock's error at true time t (Unix nanoseconds).
func (c *Clock) Skew(trueNs int64) int64 {
	return c.offsetNs + int64(float64(trueNs-c.epochNs)*c.driftPPM/1e6)
}

// NowNs is the skewed time in Unix nanoseconds.
func (c *Clock) NowNs() int64 {
	t := c.now().UnixNano()
	return t + c.Skew(t)
}

// OffsetNs, DriftPPM and EpochNs are the configuration.
func (c *Clock) OffsetNs() int64   { return c.offsetNs }
func (c *Clock) DriftPPM() float64 { return c.driftPPM }
func (c *Clock) EpochNs() int64    { return c.epochNs }
