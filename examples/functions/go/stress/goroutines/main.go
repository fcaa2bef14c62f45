// stress/goroutines leaves a goroutine running between invocations: it stamps an incrementing
// counter into /tmp/counter every millisecond. The first invocation starts it and returns
// {"counter":N}; each later one returns {"counter_at_start":C,"previous":P,"counter":N}, where C
// is read from the file before anything else and P is the counter returned last time, so
// C - P is how far the goroutine ran while the environment was idle (frozen on Lambda: ~0).
// The file holds "PID N": where /tmp is shared with other instances (no sandbox), a stamp of
// another process is ignored and the in-memory counter is used. {"ok":true} returns at once.
package main

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

const path = "/tmp/counter"

type event struct {
	OK bool `json:"ok"`
}

var (
	counter  atomic.Int64
	started  bool
	previous int64
	pid      = strconv.Itoa(os.Getpid())
)

func stamp() {
	for {
		n := counter.Add(1)
		// Write and rename, so a reader never sees a half-written file.
		tmp := path + "." + pid
		if os.WriteFile(tmp, []byte(pid+" "+strconv.FormatInt(n, 10)), 0o644) == nil {
			os.Rename(tmp, path)
		}
		time.Sleep(time.Millisecond)
	}
}

func readCounter() int64 {
	b, err := os.ReadFile(path)
	owner, value, found := strings.Cut(string(b), " ")
	if err != nil || !found || owner != pid {
		return counter.Load()
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return counter.Load()
	}
	return n
}

func handler(e event) (map[string]any, error) {
	if e.OK {
		return map[string]any{"ok": true}, nil
	}
	if !started {
		started = true
		go stamp()
		time.Sleep(20 * time.Millisecond)
		previous = counter.Load()
		return map[string]any{"counter": previous}, nil
	}
	atStart := readCounter()
	out := map[string]any{"counter_at_start": atStart, "previous": previous}
	previous = counter.Load()
	out["counter"] = previous
	return out, nil
}

func main() {
	lambda.Start(handler)
}
