// Command load drives thaw's Lambda Invoke API end to end:
//
//	POST {endpoint}/2015-03-31/functions/{function}/invocations
//	X-Amz-Invocation-Type: RequestResponse (or Event with -type Event)
//
// Closed loop (-c clients back to back) or open loop (-rate, Poisson
// arrivals, latency from the scheduled send time). Prints one JSON line on
// stdout and a human summary on stderr. See bench/README.md.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"thaw.dev/bench/internal/sigv4"
	"thaw.dev/bench/load/loadgen"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9001", "thaw Invoke API base URL")
	function := flag.String("function", "", "function name (required)")
	n := flag.Int("n", 10000, "total requests including warm-up (ignored with -duration)")
	duration := flag.Duration("duration", 0, "run for this long instead of -n requests (warm-up included)")
	c := flag.Int("c", 1, "closed loop: concurrent clients; open loop: max requests in flight (default 64 with -rate)")
	payload := flag.String("payload", "", "file whose content is the invoke payload (default: {})")
	warmup := flag.Int("warmup", -1, "requests excluded as warm-up (default 5% of n, min 200 when n allows; with -duration: first 5% of the time and at least 200)")
	rate := flag.Float64("rate", 0, "open loop: mean requests/s (Poisson arrivals); 0 = closed loop")
	arrival := flag.String("arrival", "poisson", "open loop arrival process: poisson or constant")
	seed := flag.Int64("seed", 1, "open loop schedule seed")
	name := flag.String("name", "", "label for the output (default invoke_<function>)")
	expect := flag.Int("expect-status", 200, "HTTP status counted as success")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	procs := flag.Int("procs", 0, "GOMAXPROCS for the load generator (0 = Go default / $GOMAXPROCS)")
	qualifier := flag.String("qualifier", "", "optional ?Qualifier= (version or alias)")
	invocationType := flag.String("type", "RequestResponse", "X-Amz-Invocation-Type: RequestResponse or Event (Event answers 202: pass -expect-status 202)")
	rawURL := flag.String("url", "", "POST to this URL, unsigned, instead of the Invoke API (a function URL; -function then only names the output)")
	flag.Parse()

	if *function == "" {
		fmt.Fprintln(os.Stderr, "load: -function is required")
		flag.Usage()
		os.Exit(2)
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })

	body := []byte("{}")
	if *payload != "" {
		b, err := os.ReadFile(*payload)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(2)
		}
		body = b
	}
	conc := *c
	if *rate > 0 && !set["c"] {
		conc = 64
	}
	if *arrival != "poisson" && *arrival != "constant" {
		fmt.Fprintln(os.Stderr, "load: -arrival must be poisson or constant")
		os.Exit(2)
	}
	label := *name
	if label == "" {
		label = "invoke_" + *function
	}
	u := strings.TrimRight(*endpoint, "/") + "/2015-03-31/functions/" + url.PathEscape(*function) + "/invocations"
	if *qualifier != "" {
		u += "?Qualifier=" + url.QueryEscape(*qualifier)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if *rawURL != "" {
		u = *rawURL
		if *name == "" {
			label = "url_" + *function
		}
	} else {
		h.Set("X-Amz-Invocation-Type", *invocationType)
	}
	// Signed once: every request is the same, and the server identifies callers by their
	// connection (a signature stays valid for 15 minutes on AWS).
	if signed, err := http.NewRequest("POST", u, nil); err == nil && *rawURL == "" {
		signed.Header = h.Clone()
		sigv4.Sign(signed, body, sigv4.FromEnv(), "us-east-1", "lambda", time.Now())
		h = signed.Header
	}

	cfg := loadgen.Config{
		Name: label, URL: u, Header: h, Body: body,
		N: *n, Duration: *duration, Concurrency: conc,
		Rate: *rate, Arrival: *arrival, Seed: *seed,
		Expect: *expect, ErrorHeader: "X-Amz-Function-Error", Timeout: *timeout,
	}
	switch {
	case set["warmup"]:
		cfg.Warmup = *warmup
	case *duration > 0:
		cfg.Warmup, cfg.WarmupTime = 200, *duration/20
	default:
		cfg.Warmup = loadgen.DefaultWarmup(*n)
	}
	if *duration <= 0 && cfg.Warmup >= *n {
		fmt.Fprintln(os.Stderr, "load: -warmup must be smaller than -n")
		os.Exit(2)
	}
	s, err := loadgen.Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	s.Print()
	if s.N-s.Errors <= 0 {
		os.Exit(1) // nothing succeeded: the numbers are meaningless
	}
}
