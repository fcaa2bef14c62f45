// startup measures how long a server takes to answer after its process starts, and optionally
// the latency of the first request it then serves (a peer's first invoke, when it runs the
// function's bootstrap lazily). Each sample starts the command fresh, polls -ready with GET
// every 200 µs until any HTTP response comes back (any status: the server is answering), sends
// one POST to -invoke if given, then stops the process group with SIGTERM and waits for it.
//
//	startup -n 20 -ready 'http://127.0.0.1:{port}/' -- thaw serve --listen 127.0.0.1:{port} ...
//	startup -n 20 -ready 'http://127.0.0.1:{port}/' \
//	  -invoke 'http://127.0.0.1:{port}/2015-03-31/functions/function/invocations' \
//	  -- aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:{port} \
//	     --runtime-api-address 127.0.0.1:{port2} ./bootstrap
//
// {port} and {port2} in the URLs and arguments become free loopback ports, new for each sample.
// Output: one JSON line with ready_* and (with -invoke) first_invoke_* percentiles in µs.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 10, "samples (one fresh process each)")
	ready := flag.String("ready", "", "GET this URL until it answers (required)")
	invoke := flag.String("invoke", "", "then POST -body here once and time it (optional)")
	body := flag.String("body", "{}", "body of the -invoke request")
	name := flag.String("name", "startup", "label in the output")
	logPath := flag.String("log", "", "append the command's stdout and stderr to this file (default: discard)")
	timeout := flag.Duration("timeout", 10*time.Second, "give up on one sample after this long")
	flag.Parse()
	if *ready == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: startup -ready URL [-invoke URL] -- command args...")
		os.Exit(2)
	}
	var out io.Writer = io.Discard
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		out = f
	}
	var readyUs, invokeUs []float64
	errors := 0
	for i := 0; i < *n; i++ {
		r, inv, err := sample(flag.Args(), *ready, *invoke, []byte(*body), out, *timeout)
		if err != nil {
			errors++
			fmt.Fprintf(os.Stderr, "startup: sample %d: %v\n", i, err)
			continue
		}
		readyUs = append(readyUs, r)
		if *invoke != "" {
			invokeUs = append(invokeUs, inv)
		}
	}
	res := map[string]any{"name": *name, "n": *n, "errors": errors}
	addStats(res, "ready", readyUs)
	if *invoke != "" {
		addStats(res, "first_invoke", invokeUs)
	}
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	if len(readyUs) == 0 {
		os.Exit(1)
	}
}

// sample runs the command once; it returns µs from exec to the first answer, and the -invoke
// latency in µs.
func sample(args []string, readyURL, invokeURL string, body []byte, out io.Writer,
	timeout time.Duration) (float64, float64, error) {
	ports := map[string]string{"{port}": freePort(), "{port2}": freePort()}
	fill := func(s string) string {
		for k, v := range ports {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	argv := make([]string, len(args))
	for i, a := range args {
		argv[i] = fill(a)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: false}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer stop(cmd)
	exited := make(chan struct{})
	go func() { cmd.Process.Wait(); close(exited) }()
	var readyAt time.Duration
	for {
		resp, err := client.Get(fill(readyURL))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			readyAt = time.Since(start)
			break
		}
		select {
		case <-exited:
			return 0, 0, fmt.Errorf("%s exited before answering", argv[0])
		default:
		}
		if time.Since(start) > timeout {
			return 0, 0, fmt.Errorf("%s not answering after %v", argv[0], timeout)
		}
		time.Sleep(200 * time.Microsecond)
	}
	if invokeURL == "" {
		return us(readyAt), 0, nil
	}
	t0 := time.Now()
	resp, err := client.Post(fill(invokeURL), "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	lat := time.Since(t0)
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
		return 0, 0, fmt.Errorf("first invoke: status %d %s", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
	}
	return us(readyAt), us(lat), nil
}

// stop sends SIGTERM to the process group, then SIGKILL after 5 s.
func stop(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			if err := syscall.Kill(-cmd.Process.Pid, 0); err != nil {
				close(done)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func us(d time.Duration) float64 { return math.Round(float64(d.Nanoseconds())/100) / 10 }

// addStats puts nearest-rank p50/p99, min and max of v under prefix_*.
func addStats(res map[string]any, prefix string, v []float64) {
	res[prefix+"_count"] = len(v)
	if len(v) == 0 {
		return
	}
	sort.Float64s(v)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(v)))) - 1
		if i < 0 {
			i = 0
		}
		return v[i]
	}
	res[prefix+"_p50_us"] = rank(0.5)
	res[prefix+"_p99_us"] = rank(0.99)
	res[prefix+"_min_us"] = v[0]
	res[prefix+"_max_us"] = v[len(v)-1]
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "startup:", err)
	os.Exit(2)
}
