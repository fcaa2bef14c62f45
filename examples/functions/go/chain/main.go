// chain calls the next function of a list through $AWS_ENDPOINT_URL, passing the trace on,
// and sends its own handler span to thaw with X-Ray's PutTraceSegments. Its clock can be set
// off by THAW_SKEW_OFFSET_NS nanoseconds (a simulation of a skewed host: one machine has one
// clock), and it keeps a hybrid logical clock that rides in the trace header's Hlc field, so
// `thaw trace` can show the timestamp order going wrong while the causal order stays right.
//
// Event: {"next": ["fn-b", "fn-c"]}; the answer: this hop's trace header, span and stamps.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"thaw.dev/examples/internal/sigv4"
)

// The front door requires SigV4; these sign with the function's own credentials.
var (
	lambdaClient = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv()}}
	xrayClient   = &http.Client{Transport: &sigv4.Transport{Credentials: sigv4.FromEnv(), Service: "xray"}}
)

type event struct {
	Next []string `json:"next"`
}

type hop struct {
	Function string          `json:"function"`
	Trace    string          `json:"trace"`
	Segment  string          `json:"segment"`
	StartNs  int64           `json:"startNs"`
	HlcStart string          `json:"hlcStart"`
	Next     json.RawMessage `json:"next,omitempty"`
}

// skewedNow is this "host's" clock.
func skewedNow() int64 {
	offset, _ := strconv.ParseInt(os.Getenv("THAW_SKEW_OFFSET_NS"), 10, 64)
	return time.Now().UnixNano() + offset
}

// A hybrid logical clock (Kulkarni et al. 2014), as thaw's trace/hlc.h.
type hlcStamp struct {
	l int64
	c uint32
}

func (s hlcStamp) String() string { return fmt.Sprintf("%d.%d", s.l, s.c) }

func parseHlc(text string) (hlcStamp, bool) {
	l, c, ok := strings.Cut(text, ".")
	if !ok {
		return hlcStamp{}, false
	}
	lv, err1 := strconv.ParseInt(l, 10, 64)
	cv, err2 := strconv.ParseUint(c, 10, 32)
	return hlcStamp{lv, uint32(cv)}, err1 == nil && err2 == nil
}

var (
	mu   sync.Mutex
	last hlcStamp
)

func hlcNow() hlcStamp {
	mu.Lock()
	defer mu.Unlock()
	if now := skewedNow(); now > last.l {
		last = hlcStamp{now, 0}
	} else {
		last.c++
	}
	return last
}

func hlcReceive(remote hlcStamp) hlcStamp {
	mu.Lock()
	defer mu.Unlock()
	now := skewedNow()
	l := last.l
	if remote.l > l {
		l = remote.l
	}
	if now > l {
		l = now
	}
	var c uint32
	switch {
	case l == last.l && l == remote.l:
		c = last.c
		if remote.c > c {
			c = remote.c
		}
		c++
	case l == last.l:
		c = last.c + 1
	case l == remote.l:
		c = remote.c + 1
	}
	last = hlcStamp{l, c}
	return last
}

func fields(header string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(header, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
			out[k] = v
		}
	}
	return out
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

func handler(ctx context.Context, e event) (hop, error) {
	header, _ := ctx.Value("x-amzn-trace-id").(string)
	if header == "" {
		header = os.Getenv("_X_AMZN_TRACE_ID")
	}
	in := fields(header)
	var start hlcStamp
	if remote, ok := parseHlc(in["Hlc"]); ok {
		start = hlcReceive(remote)
	} else {
		start = hlcNow()
	}
	startNs := skewedNow()
	lc, _ := lambdacontext.FromContext(ctx)
	name := lambdacontext.FunctionName
	out := hop{Function: name, Trace: header, Segment: newID(), StartNs: startNs, HlcStart: start.String()}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	if endpoint == "" {
		return out, fmt.Errorf("AWS_ENDPOINT_URL is not set")
	}

	if len(e.Next) > 0 {
		body, _ := json.Marshal(event{Next: e.Next[1:]})
		req, err := http.NewRequestWithContext(ctx, "POST",
			endpoint+"/2015-03-31/functions/"+url.PathEscape(e.Next[0])+"/invocations",
			bytes.NewReader(body))
		if err != nil {
			return out, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amzn-Trace-Id", fmt.Sprintf("Root=%s;Parent=%s;Sampled=%s;Hlc=%s",
			in["Root"], out.Segment, in["Sampled"], hlcNow()))
		resp, err := lambdaClient.Do(req)
		if err != nil {
			return out, err
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return out, err
		}
		if resp.StatusCode != 200 {
			return out, fmt.Errorf("invoke %s: HTTP %d: %s", e.Next[0], resp.StatusCode, answer)
		}
		if remote, ok := parseHlc(fields(resp.Header.Get("X-Amzn-Trace-Id"))["Hlc"]); ok {
			hlcReceive(remote)
		}
		out.Next = answer
	}

	end := hlcNow()
	segment, _ := json.Marshal(map[string]interface{}{
		"trace_id":   in["Root"],
		"id":         out.Segment,
		"parent_id":  in["Parent"],
		"name":       name + " handler",
		"start_time": seconds(startNs),
		"end_time":   seconds(skewedNow()),
		"annotations": map[string]interface{}{
			"thaw_hlc_start": start.String(),
			"thaw_hlc_end":   end.String(),
			"request_id":     lc.AwsRequestID,
		},
	})
	docs, _ := json.Marshal(map[string]interface{}{"TraceSegmentDocuments": []string{string(segment)}})
	resp, err := xrayClient.Post(endpoint+"/TraceSegments", "application/json", bytes.NewReader(docs))
	if err != nil {
		return out, err
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(reply, []byte(`"UnprocessedTraceSegments":[]`)) {
		return out, fmt.Errorf("PutTraceSegments: HTTP %d: %s", resp.StatusCode, reply)
	}
	return out, nil
}

func main() {
	lambda.Start(handler)
}
