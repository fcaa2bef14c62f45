// Package loadgen is the HTTP request driver shared by bench/load and
// bench/floor, so the floor and the end-to-end numbers come from the very
// same client code.
//
// Hygiene (docs perf-anchors §6): keep-alive connections (one per client),
// TCP_NODELAY, no "Expect: 100-continue", no compression, warm-up discarded,
// closed loop or open loop with Poisson arrivals where latency is charged from
// the scheduled send time (no coordinated omission).
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one run.
type Config struct {
	Name        string
	URL         string
	Method      string      // default POST
	Header      http.Header // extra request headers
	Body        []byte
	N           int           // total requests including warm-up (ignored if Duration > 0)
	Duration    time.Duration // total run time including warm-up
	Concurrency int           // closed loop: clients; open loop: max requests in flight
	Warmup      int           // requests (by issue order) excluded from the stats
	WarmupTime  time.Duration // additionally exclude requests issued before this offset
	Rate        float64       // >0: open loop, mean arrivals per second
	Arrival     string        // open loop: "poisson" (default) or "constant"
	Seed        int64         // open loop schedule seed
	Expect      int           // expected status, default 200
	ErrorHeader string        // response header that marks an error when present ("" = none)
	VerifyBody  []byte        // if non-nil the response body must equal this
	Timeout     time.Duration // per request, default 30s
}

// DefaultWarmup is 5% of n, at least 200 when n allows (never more than n/2).
func DefaultWarmup(n int) int {
	w := n / 20
	if w < 200 {
		w = 200
	}
	if w > n/2 {
		w = n / 2
	}
	return w
}

type worker struct {
	lat          []int64 // successful measured samples, ns
	lag          []int64 // open loop: start - scheduled, ns (measured only)
	measured     int
	warm         int
	errs         int
	warmErrs     int
	kinds        map[string]int
	firstStart   int64 // earliest measured issue/scheduled time (ns since base), -1 none
	lastDone     int64
	firstErrText string
	buf          bytes.Buffer
}

// schedule hands out open-loop send times (ns since start) in order.
type schedule struct {
	sleeper sync.Mutex // held by the one worker waiting for the next slot
	mu      sync.Mutex
	cfg     Config
	rng     *rand.Rand
	mean    float64 // ns between arrivals
	next    int64
	t       float64
}

func (s *schedule) claim() (idx, sched int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Duration <= 0 && s.next >= int64(s.cfg.N) {
		return 0, 0, false
	}
	if s.cfg.Duration > 0 && s.t >= float64(s.cfg.Duration) {
		return 0, 0, false
	}
	idx, sched = s.next, int64(s.t)
	s.next++
	if s.cfg.Arrival == "constant" {
		s.t += s.mean
	} else {
		s.t += s.rng.ExpFloat64() * s.mean
	}
	return idx, sched, true
}

type runner struct {
	cfg    Config
	client *http.Client
	url    *url.URL
	base   time.Time
	conns  atomic.Int64
}

func (r *runner) now() int64 { return int64(time.Since(r.base)) }

func (r *runner) isWarm(idx int64, t int64) bool {
	return idx < int64(r.cfg.Warmup) || t < int64(r.cfg.WarmupTime)
}

// do performs one request; returns "" on success or an error kind.
func (r *runner) do(w *worker) (kind string, detail string) {
	h := make(http.Header, len(r.cfg.Header)+1)
	for k, v := range r.cfg.Header {
		h[k] = v
	}
	req := &http.Request{
		Method:        r.cfg.Method,
		URL:           r.url,
		Header:        h,
		Host:          r.url.Host,
		Body:          io.NopCloser(bytes.NewReader(r.cfg.Body)),
		ContentLength: int64(len(r.cfg.Body)),
		ProtoMajor:    1,
		ProtoMinor:    1,
		Proto:         "HTTP/1.1",
	}
	if len(r.cfg.Body) == 0 {
		req.Body = http.NoBody
	}
	body := r.cfg.Body
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	resp, err := r.client.Do(req)
	if err != nil {
		return "transport", err.Error()
	}
	w.buf.Reset()
	_, rerr := w.buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return "transport", rerr.Error()
	}
	if resp.StatusCode != r.cfg.Expect {
		return fmt.Sprintf("status_%d", resp.StatusCode), truncate(w.buf.String())
	}
	if r.cfg.ErrorHeader != "" {
		if v := resp.Header.Get(r.cfg.ErrorHeader); v != "" {
			return "function_error", r.cfg.ErrorHeader + ": " + v + " " + truncate(w.buf.String())
		}
	}
	if r.cfg.VerifyBody != nil && !bytes.Equal(w.buf.Bytes(), r.cfg.VerifyBody) {
		return "body_mismatch", truncate(w.buf.String())
	}
	return "", ""
}

func truncate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func (w *worker) record(r *runner, idx, start, done int64, kind, detail string, lag int64, open bool) {
	if r.isWarm(idx, start) {
		w.warm++
		if kind != "" {
			w.warmErrs++
			if w.firstErrText == "" {
				w.firstErrText = kind + ": " + detail
			}
		}
		return
	}
	w.measured++
	if w.firstStart < 0 || start < w.firstStart {
		w.firstStart = start
	}
	if done > w.lastDone {
		w.lastDone = done
	}
	if kind != "" {
		w.errs++
		w.noteErr(kind, detail)
		return
	}
	w.lat = append(w.lat, done-start)
	if open {
		w.lag = append(w.lag, lag)
	}
}

func (w *worker) noteErr(kind, detail string) {
	if w.kinds == nil {
		w.kinds = map[string]int{}
	}
	w.kinds[kind]++
	if w.firstErrText == "" {
		w.firstErrText = kind + ": " + detail
	}
}

// waitUntil blocks until t (ns since base) and calls release on the way,
// early enough that waking the next sleeper (a futex wake, ~20 us here) is
// off the critical path. Nanosleep overshoot and the return from the
// syscall (~10-20 us) are absorbed by sleeping to 20 us before t and
// spinning the rest, so sends start within a few us of their slot.
func (r *runner) waitUntil(t int64, release func()) {
	const lead, spin = 60000, 20000 // ns
	if d := t - r.now(); d > lead {
		sleepPrecise(d - lead)
	}
	release()
	if d := t - r.now(); d > spin {
		sleepPrecise(d - spin)
	}
	for r.now() < t {
	}
}

// Run executes the benchmark and returns its summary.
func Run(cfg Config) (*Summary, error) {
	if cfg.Method == "" {
		cfg.Method = http.MethodPost
	}
	if cfg.Expect == 0 {
		cfg.Expect = 200
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Duration <= 0 && cfg.N <= 0 {
		return nil, errors.New("need -n > 0 or -duration > 0")
	}
	if cfg.Header != nil && cfg.Header.Get("Expect") != "" {
		return nil, errors.New("refusing to send an Expect header")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, url: u}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // never go through $HTTP_PROXY for a local benchmark
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				r.conns.Add(1)
				if tc, ok := c.(*net.TCPConn); ok {
					_ = tc.SetNoDelay(true) // Go's default; explicit for the record
				}
			}
			return c, err
		},
		DisableCompression:    true,
		MaxIdleConns:          cfg.Concurrency + 16,
		MaxIdleConnsPerHost:   cfg.Concurrency + 16,
		IdleConnTimeout:       5 * time.Minute,
		ExpectContinueTimeout: 0,
		ForceAttemptHTTP2:     false,
	}
	defer tr.CloseIdleConnections()
	r.client = &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	workers := make([]*worker, cfg.Concurrency)
	per := 1024
	if cfg.Duration <= 0 {
		per = cfg.N/cfg.Concurrency + 1
	}
	for i := range workers {
		workers[i] = &worker{lat: make([]int64, 0, per), firstStart: -1}
	}
	open := cfg.Rate > 0
	var wg sync.WaitGroup
	r.base = time.Now()
	if !open {
		var next atomic.Int64
		end := int64(cfg.Duration)
		for _, w := range workers {
			wg.Add(1)
			go func(w *worker) {
				defer wg.Done()
				for {
					idx := next.Add(1) - 1
					if cfg.Duration <= 0 && idx >= int64(cfg.N) {
						return
					}
					start := r.now()
					if cfg.Duration > 0 && start >= end {
						return
					}
					kind, detail := r.do(w)
					w.record(r, idx, start, r.now(), kind, detail, 0, false)
				}
			}(w)
		}
	} else {
		// Open loop: the arrival schedule is fixed up front by the RNG and
		// never depends on responses. One free worker at a time (the holder
		// of sch.sleeper) claims the next slot and sleeps until it is due;
		// it then passes the token on and sends the request itself, so the
		// hand-off to the next sleeper happens off the critical path (a
		// channel hand-off from a pacer goroutine costs ~50 us of wake-up on
		// a 2-vCPU VM). If every worker is busy, slots fall behind; their
		// latency still counts from the scheduled time (no coordinated
		// omission), and start_lag_* reports how far behind sends were.
		sch := &schedule{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed)), mean: 1e9 / cfg.Rate}
		for _, w := range workers {
			wg.Add(1)
			go func(w *worker) {
				defer wg.Done()
				for {
					sch.sleeper.Lock()
					idx, sched, ok := sch.claim()
					if !ok {
						sch.sleeper.Unlock()
						return
					}
					r.waitUntil(sched, sch.sleeper.Unlock)
					start := r.now()
					kind, detail := r.do(w)
					w.record(r, idx, sched, r.now(), kind, detail, start-sched, true)
				}
			}(w)
		}
	}
	wg.Wait()

	s := &Summary{Name: cfg.Name, Concurrency: cfg.Concurrency, Mode: "closed", Conns: r.conns.Load(),
		GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if open {
		s.Mode, s.TargetRPS = "open", cfg.Rate
	}
	var lat, lag []int64
	first, last := int64(-1), int64(0)
	kinds := map[string]int{}
	firstErr := ""
	for _, w := range workers {
		lat = append(lat, w.lat...)
		lag = append(lag, w.lag...)
		s.N += w.measured
		s.Errors += w.errs
		s.WarmupErrors += w.warmErrs
		s.Warmup += w.warm
		if w.firstStart >= 0 && (first < 0 || w.firstStart < first) {
			first = w.firstStart
		}
		if w.lastDone > last {
			last = w.lastDone
		}
		for k, v := range w.kinds {
			kinds[k] += v
		}
		if firstErr == "" {
			firstErr = w.firstErrText
		}
	}
	if len(kinds) > 0 {
		s.ErrorKinds = kinds
	}
	if firstErr != "" {
		fmt.Fprintf(os.Stderr, "%s: first error: %s\n", cfg.Name, firstErr)
	}
	s.fill(lat)
	if first >= 0 && last > first {
		s.ElapsedS = math.Round(float64(last-first)/1e6) / 1e3
		s.ThroughputRPS = math.Round(float64(s.N)/(float64(last-first)/1e9)*10) / 10
	}
	if len(lag) > 0 {
		var tmp Summary
		tmp.fill(lag)
		s.StartLagP50, s.StartLagP99, s.StartLagMax = tmp.P50us, tmp.P99us, tmp.MaxUs
	}
	return s, nil
}

// Print writes the JSON line to stdout and a human line to stderr.
func (s *Summary) Print() {
	b, _ := json.Marshal(s)
	os.Stdout.Write(append(b, '\n'))
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %s n=%d c=%d", s.Name, s.Mode, s.N, s.Concurrency)
	if s.Mode == "open" {
		fmt.Fprintf(&sb, " target=%.0f/s", s.TargetRPS)
	}
	fmt.Fprintf(&sb, "  p50=%.1fus [%.1f,%.1f] p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus mean=%.1fus  %.0f req/s  errors=%d conns=%d",
		s.P50us, s.P50CI95us[0], s.P50CI95us[1], s.P90us, s.P99us, s.P999us, s.MaxUs, s.MeanUs, s.ThroughputRPS, s.Errors, s.Conns)
	if s.Mode == "open" {
		fmt.Fprintf(&sb, " start_lag p50=%.1fus p99=%.1fus", s.StartLagP50, s.StartLagP99)
	}
	fmt.Fprintln(os.Stderr, sb.String())
	if s.Mode == "open" && s.StartLagP99 > 1000 {
		fmt.Fprintf(os.Stderr, "%s: warning: requests waited >1ms for a free client (p99 start lag); raise -c or lower -rate\n", s.Name)
	}
	if s.ErrorKinds != nil || s.WarmupErrors > 0 {
		fmt.Fprintf(os.Stderr, "%s: measured errors by kind: %v (plus %d warm-up errors)\n", s.Name, s.ErrorKinds, s.WarmupErrors)
	}
}
