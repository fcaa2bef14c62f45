// Command floor measures the loopback-HTTP floor of a Lambda invoke: the
// cost of two chained keep-alive HTTP exchanges between small Go programs,
//
//	client --POST {}--> serve-a --POST {}--> serve-b (echo)
//
// which is what any HTTP front end + HTTP Runtime-API design pays at minimum.
// serve-a and serve-b run as separate child processes (this binary re-executed
// with -mode=serve-a / -mode=serve-b); the client is the same driver as
// bench/load. Prints one JSON line on stdout, a human line on stderr.
//
//	floor -mode=chain  -n 20000 -c 1   # client -> A -> B (the floor)
//	floor -mode=direct -n 20000 -c 1   # client -> B (one exchange, for reference)
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"thaw.dev/bench/load/loadgen"
)

func main() {
	mode := flag.String("mode", "chain", "chain | chain-inproc | proxy | direct | serve-a | serve-b (proxy: chain behind one more forwarding hop, the floor of an HTTP front such as a function URL; chain-inproc: the chain with A and B inside the client's process)")
	listen := flag.String("listen", "127.0.0.1:0", "serve-*: listen address; the bound address is printed on stdout")
	next := flag.String("next", "", "serve-a: base URL of serve-b")
	stdinEOF := flag.Bool("exit-on-stdin-eof", false, "serve-*: exit when stdin closes (set by the parent)")
	n := flag.Int("n", 20000, "chain/direct: total requests including warm-up")
	duration := flag.Duration("duration", 0, "chain/direct: run for this long instead of -n")
	c := flag.Int("c", 1, "chain/direct: concurrent keep-alive clients")
	warmup := flag.Int("warmup", -1, "requests excluded as warm-up (default 5% of n, min 200 when n allows)")
	rate := flag.Float64("rate", 0, "open loop mean requests/s (Poisson); 0 = closed loop")
	name := flag.String("name", "", "label in the output (default floor_<mode>)")
	procs := flag.Int("procs", 1, "chain/direct: GOMAXPROCS for the client and both servers (0 = Go default / $GOMAXPROCS)")
	flag.Parse()

	switch *mode {
	case "serve-b":
		serve(*listen, echoHandler(), *stdinEOF)
	case "serve-a":
		if *next == "" {
			fatal("serve-a needs -next")
		}
		serve(*listen, forwardHandler(strings.TrimRight(*next, "/")+"/"), *stdinEOF)
	case "chain", "chain-inproc", "proxy", "direct":
		if *procs > 0 {
			// Inherited by the children through the environment.
			os.Setenv("GOMAXPROCS", strconv.Itoa(*procs))
			runtime.GOMAXPROCS(*procs)
		}
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		cfg := loadgen.Config{
			Name: label(*name, "floor_"+*mode), Body: []byte("{}"), VerifyBody: []byte("{}"),
			N: *n, Duration: *duration, Concurrency: *c, Rate: *rate, Seed: 1,
			Header: http.Header{"Content-Type": {"application/json"}},
		}
		switch {
		case set["warmup"]:
			cfg.Warmup = *warmup
		case *duration > 0:
			cfg.Warmup, cfg.WarmupTime = 200, *duration/20
		default:
			cfg.Warmup = loadgen.DefaultWarmup(*n)
		}
		os.Exit(drive(*mode, cfg))
	default:
		fatal("unknown -mode " + *mode)
	}
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "floor:", msg)
	os.Exit(2)
}

// ---- servers ----

func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
		w.Write(buf.Bytes())
	})
}

func forwardHandler(target string) http.Handler {
	client := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DisableCompression:  true,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     5 * time.Minute,
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in bytes.Buffer
		if _, err := in.ReadFrom(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(in.Bytes()))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header["Content-Type"] = []string{"application/json"}
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		var out bytes.Buffer
		_, err = out.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(out.Len())}
		w.WriteHeader(resp.StatusCode)
		w.Write(out.Bytes())
	})
}

func serve(addr string, h http.Handler, exitOnEOF bool) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fatal(err.Error())
	}
	// The parent reads this single line to learn the port.
	fmt.Fprintln(os.Stdout, ln.Addr().String())
	if exitOnEOF {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	srv := &http.Server{Handler: h, IdleTimeout: 5 * time.Minute}
	fatal(srv.Serve(ln).Error())
}

// ---- parent: spawn children, drive, clean up ----

type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

var (
	childMu  sync.Mutex
	children []*child
)

func killChildren() {
	childMu.Lock()
	defer childMu.Unlock()
	for _, ch := range children {
		ch.stdin.Close()
		ch.cmd.Process.Kill()
		ch.cmd.Wait()
	}
	children = nil
}

// serveHere is spawn's in-process twin: the same server on a goroutine of this process, so
// chain-inproc pays the same HTTP work without the wake-ups of separate processes.
func serveHere(args ...string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	h := echoHandler()
	for _, a := range args {
		if strings.HasPrefix(a, "http://") {
			h = forwardHandler(strings.TrimRight(a, "/") + "/")
		}
	}
	srv := &http.Server{Handler: h, IdleTimeout: 5 * time.Minute}
	go srv.Serve(ln)
	return ln.Addr().String(), nil
}

// spawn starts this binary with args and returns the address it prints.
func spawn(args ...string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(exe, append(args, "-exit-on-stdin-eof")...)
	cmd.Stderr = os.Stderr
	setDeathSignal(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	childMu.Lock()
	children = append(children, &child{cmd: cmd, stdin: stdin})
	childMu.Unlock()
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		ch <- res{strings.TrimSpace(line), err}
		io.Copy(io.Discard, stdout) // keep draining; never block the child
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", fmt.Errorf("%v: reading listen address: %v", args, r.err)
		}
		if _, _, err := net.SplitHostPort(r.line); err != nil {
			return "", fmt.Errorf("%v: bad listen address %q", args, r.line)
		}
		return r.line, nil
	case <-time.After(10 * time.Second):
		return "", fmt.Errorf("%v: no listen address after 10s", args)
	}
}

func drive(mode string, cfg loadgen.Config) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		killChildren()
		fmt.Fprintf(os.Stderr, "floor: %v, children killed\n", s)
		os.Exit(130)
	}()
	defer killChildren()

	start := spawn
	if mode == "chain-inproc" {
		start = serveHere
	}
	bAddr, err := start("-mode=serve-b", "-listen", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 2
	}
	target := "http://" + bAddr
	hops := map[string]int{"direct": 0, "chain": 1, "chain-inproc": 1, "proxy": 2}[mode]
	for i := 0; i < hops; i++ {
		addr, err := start("-mode=serve-a", "-listen", "127.0.0.1:0", "-next", target)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			return 2
		}
		target = "http://" + addr
	}
	cfg.URL = target + "/"
	s, err := loadgen.Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 2
	}
	s.Print()
	if s.Errors > 0 {
		return 1
	}
	return 0
}

func label(given, fallback string) string {
	if given != "" {
		return given
	}
	return fallback
}
