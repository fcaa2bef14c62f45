// density fills one machine with idle, frozen environments and reports what each costs.
// It makes N environments of one function at once (N concurrent invokes of a function that
// sleeps, so none can be reused), waits until every one is idle and frozen, and measures:
//   - host memory: MemAvailable before and after, per environment;
//   - what the sandboxes' own cgroups hold (the function's own memory), per environment;
//   - the difference, which is what thaw and the kernel spend per environment beyond it.
//
// Prints one JSON line on stdout and a summary on stderr.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"thaw.dev/bench/internal/sigv4"
)

func memAvailableKiB() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v int64
		if n, _ := fmt.Sscanf(sc.Text(), "MemAvailable: %d kB", &v); n == 1 {
			return v
		}
	}
	return 0
}

type env struct {
	Function string `json:"function"`
	State    string `json:"state"`
	Frozen   bool   `json:"frozen"`
	Memory   int64  `json:"lastInvocationMemoryKiB"`
	Max      int64  `json:"maxMemoryKiB"`
}

func environments(endpoint, function string) []env {
	client := &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv()}}
	resp, err := client.Get(endpoint + "/thaw/environments")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Environments []env `json:"environments"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	var out []env
	for _, e := range body.Environments {
		if e.Function == function {
			out = append(out, e)
		}
	}
	return out
}

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9001", "thaw endpoint")
	function := flag.String("function", "", "a function that sleeps for the payload's ms (the sleep example)")
	n := flag.Int("n", 1000, "environments")
	sleepMs := flag.Int("sleep-ms", 3000, "how long each first invocation holds its environment")
	name := flag.String("name", "density", "label")
	flag.Parse()
	before := memAvailableKiB()
	client := &http.Client{Transport: &sigv4.Transport{
		Base:        &http.Transport{MaxIdleConnsPerHost: *n, MaxConnsPerHost: 0},
		Credentials: sigv4.FromEnv()},
		Timeout: 10 * time.Minute}
	payload := []byte(fmt.Sprintf(`{"ms":%d}`, *sleepMs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := map[string]int{}
	start := time.Now()
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post(*endpoint+"/2015-03-31/functions/"+*function+"/invocations",
				"application/json", bytes.NewReader(payload))
			key := ""
			if err != nil {
				key = err.Error()
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
					key = fmt.Sprintf("HTTP %d %s", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
				}
			}
			if key != "" {
				mu.Lock()
				failures[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var envs []env
	frozen := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		envs = environments(*endpoint, *function)
		frozen = 0
		for _, e := range envs {
			if e.State == "idle" && e.Frozen {
				frozen++
			}
		}
		if frozen == len(envs) {
			break
		}
	}
	time.Sleep(time.Second) // let reclaim and slab settle
	after := memAvailableKiB()
	var own int64
	for _, e := range envs {
		own += e.Memory
	}
	count := int64(len(envs))
	if count == 0 {
		count = 1
	}
	perEnv := float64(before-after) / float64(count)
	ownPer := float64(own) / float64(count)
	out, _ := json.Marshal(map[string]any{
		"name": *name, "requested": *n, "environments": len(envs), "frozen": frozen,
		"failures": failures, "fill_seconds": elapsed.Seconds(),
		"host_kib_per_env": perEnv, "function_kib_per_env": ownPer,
		"overhead_kib_per_env": perEnv - ownPer,
	})
	fmt.Println(string(out))
	var fs []string
	for k, v := range failures {
		fs = append(fs, fmt.Sprintf("%d x %s", v, k))
	}
	fmt.Fprintf(os.Stderr, "%s: %d environments (%d frozen) in %.1fs; host %.0f KiB/env, function's own %.0f KiB/env, beyond it %.0f KiB/env; failures: %s\n",
		*name, len(envs), frozen, elapsed.Seconds(), perEnv, ownPer, perEnv-ownPer, strings.Join(fs, ", "))
}
