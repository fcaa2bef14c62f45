// latency-host is the latency experiment's stand-in for the seed's EC2 host (docs/latency.md): a
// plain net/http server, run by `thaw latency` inside a network namespace of its own. Every
// request is an exchange: T2 on receipt and T3 on reply with the host's skewed clock, the
// caller's Hlc merged from X-Amzn-Trace-Id, and the answer's X-Amzn-Trace-Id carrying the
// host's Hlc. The body is the stamps as JSON.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"time"

	"thaw.dev/examples/latency/node"
	"thaw.dev/examples/latency/skewclock"
	"thaw.dev/examples/latency/trace"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	offsetNs := flag.Int64("offset-ns", 0, "clock offset in nanoseconds (at the epoch)")
	driftPPM := flag.Float64("drift-ppm", 0, "clock drift in parts per million")
	epochNs := flag.Int64("epoch-ns", 0, "Unix nanoseconds where the drift term is zero (0: now)")
	flag.Parse()
	if *epochNs == 0 {
		*epochNs = time.Now().UnixNano()
	}
	n := node.New(skewclock.New(*offsetNs, *driftPPM, *epochNs))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		stamps, answer := n.Serve(r.Header.Get(trace.Header))
		body, _ := json.Marshal(stamps)
		w.Header().Set(trace.Header, answer)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	log.Printf("latency-host: listening on %s (offset %d ns, drift %g ppm)", *listen, *offsetNs, *driftPPM)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
