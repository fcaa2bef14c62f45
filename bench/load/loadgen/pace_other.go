//go:build !linux

package loadgen

import (
	"runtime"
	"time"
)

// sleepPrecise: portable fallback; sleeps for the bulk of a long gap and
// yield-spins the last ~1.5 ms (time.Sleep is coarse on most platforms).
func sleepPrecise(d int64) {
	until := time.Now().Add(time.Duration(d))
	if d > 2e6 {
		time.Sleep(time.Duration(d - 1.5e6))
	}
	for time.Now().Before(until) {
		runtime.Gosched()
	}
}
