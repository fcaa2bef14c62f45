// cold measures cold start to first response: for each sample it changes the function's
// configuration (which retires its warm environments, as a code or config update does on
// Lambda) and then times one synchronous invoke from the client's side.
// With -burst K, each sample is K concurrent invokes right after the retirement: K cold starts
// at once, more than the server's pool of ready sandboxes when K is large.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"time"

	"thaw.dev/bench/internal/sigv4"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:9001", "thaw endpoint")
	function := flag.String("function", "", "function name")
	n := flag.Int("n", 50, "samples")
	name := flag.String("name", "cold_start", "label")
	burst := flag.Int("burst", 1, "concurrent cold starts per sample")
	flag.Parse()
	if *function == "" {
		fmt.Fprintln(os.Stderr, "cold: -function is required")
		os.Exit(2)
	}
	client := &http.Client{Transport: &sigv4.Transport{
		Base: &http.Transport{MaxIdleConnsPerHost: 256}, Credentials: sigv4.FromEnv()}}
	base := *endpoint + "/2015-03-31/functions/" + *function
	var lat []float64
	for i := 0; i < *n; i++ {
		cfg, _ := json.Marshal(map[string]any{
			"Environment": map[string]any{"Variables": map[string]string{"BENCH_ITER": fmt.Sprint(i)}},
		})
		req, _ := http.NewRequest("PUT", base+"/configuration", bytes.NewReader(cfg))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			fmt.Fprintf(os.Stderr, "cold: update configuration failed: %v %v\n", err, status(resp))
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		results := make(chan float64, *burst)
		for j := 0; j < *burst; j++ {
			go func() { results <- invokeOnce(client, base) }()
		}
		for j := 0; j < *burst; j++ {
			lat = append(lat, <-results)
		}
		if *burst > 1 {
			time.Sleep(200 * time.Millisecond) // let the pool refill between bursts
		}
	}
	sort.Float64s(lat)
	q := func(p float64) float64 { return lat[int(p*float64(len(lat)-1)+0.5)] }
	out, _ := json.Marshal(map[string]any{
		"name": *name, "n": len(lat), "p50_us": q(0.5), "p90_us": q(0.9), "p99_us": q(0.99),
		"max_us": lat[len(lat)-1],
	})
	fmt.Println(string(out))
	fmt.Fprintf(os.Stderr, "%s: n=%d p50=%.0fus p90=%.0fus p99=%.0fus\n", *name, len(lat), q(0.5), q(0.9), q(0.99))
}

func invokeOnce(client *http.Client, base string) float64 {
	t0 := time.Now()
	resp, err := client.Post(base+"/invocations", "application/json", bytes.NewReader([]byte("{}")))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cold: invoke failed: %v\n", err)
		os.Exit(1)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "" {
		fmt.Fprintf(os.Stderr, "cold: invoke answered %d %s\n", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
		os.Exit(1)
	}
	return float64(d.Microseconds())
}

func status(r *http.Response) string {
	if r == nil {
		return ""
	}
	return r.Status
}
