//go:build linux

package loadgen

import (
	"runtime"
	"syscall"
)

// sleepPrecise sleeps d nanoseconds with ~5-10 us overshoot. Go's
// time.Sleep has a ~1 ms floor on Linux (netpoller timeout granularity),
// far too coarse for open-loop arrivals at thousands per second. Instead
// the calling thread's timer slack is set to 1 ns (default 50 us; the
// setting sticks to the thread, which is fine for a benchmark process) and
// nanosleep is called directly. The goroutine is pinned to its thread only
// for the sleep so the slack applies to the thread that sleeps.
func sleepPrecise(d int64) {
	runtime.LockOSThread()
	const prSetTimerslack = 29
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, 1, 0)
	ts := syscall.NsecToTimespec(d)
	_ = syscall.Nanosleep(&ts, nil)
	runtime.UnlockOSThread()
}
