package loadgen

import (
	"math"
	"sort"
)

// Summary is the JSON line every bench program prints on stdout. The first
// block of fields is the shared shape (floor and load); the rest are extras.
type Summary struct {
	Name          string  `json:"name"`
	N             int     `json:"n"` // measured requests (warm-up excluded), errors included
	Concurrency   int     `json:"concurrency"`
	P50us         float64 `json:"p50_us"`
	P90us         float64 `json:"p90_us"`
	P99us         float64 `json:"p99_us"`
	P999us        float64 `json:"p999_us"`
	MaxUs         float64 `json:"max_us"`
	MeanUs        float64 `json:"mean_us"`
	ThroughputRPS float64 `json:"throughput_rps"`
	Errors        int     `json:"errors"`

	MinUs        float64        `json:"min_us"`
	P50CI95us    [2]float64     `json:"p50_ci95_us"` // non-parametric (order-statistic) 95% CI
	P99CI95us    [2]float64     `json:"p99_ci95_us"`
	Warmup       int            `json:"warmup"`        // requests discarded as warm-up
	WarmupErrors int            `json:"warmup_errors"` // errors among them
	ElapsedS     float64        `json:"elapsed_s"`     // measured window
	Mode         string         `json:"mode"`          // "closed" or "open"
	TargetRPS    float64        `json:"target_rps,omitempty"`
	StartLagP50  float64        `json:"start_lag_p50_us,omitempty"`
	StartLagP99  float64        `json:"start_lag_p99_us,omitempty"` // open loop: actual send - scheduled send
	StartLagMax  float64        `json:"start_lag_max_us,omitempty"`
	Conns        int64          `json:"conns"`      // TCP connections dialed by the client (keep-alive check)
	GOMAXPROCS   int            `json:"gomaxprocs"` // of the load generator (and, for floor, its servers)
	ErrorKinds   map[string]int `json:"error_kinds,omitempty"`
}

func us(ns int64) float64 { return math.Round(float64(ns)/100) / 10 }

// quantileIdx is the nearest-rank index of quantile p in n sorted samples.
func quantileIdx(n int, p float64) int {
	i := int(math.Ceil(p*float64(n))) - 1
	if i < 0 {
		i = 0
	}
	if i > n-1 {
		i = n - 1
	}
	return i
}

// ciIdx gives the order-statistic ranks bounding a 95% confidence interval
// for quantile p (normal approximation to the binomial; SeBS-style).
func ciIdx(n int, p float64) (int, int) {
	h := 1.96 * math.Sqrt(float64(n)*p*(1-p))
	lo := int(math.Floor(float64(n)*p-h)) - 1
	hi := int(math.Ceil(float64(n)*p+h)) - 1
	if lo < 0 {
		lo = 0
	}
	if hi > n-1 {
		hi = n - 1
	}
	return lo, hi
}

// fill computes the latency fields from successful samples (nanoseconds).
// lat is sorted in place.
func (s *Summary) fill(lat []int64) {
	n := len(lat)
	if n == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return us(lat[quantileIdx(n, p)]) }
	s.P50us, s.P90us, s.P99us, s.P999us = q(0.50), q(0.90), q(0.99), q(0.999)
	s.MinUs, s.MaxUs = us(lat[0]), us(lat[n-1])
	var sum float64
	for _, v := range lat {
		sum += float64(v)
	}
	s.MeanUs = math.Round(sum/float64(n)/100) / 10
	lo, hi := ciIdx(n, 0.50)
	s.P50CI95us = [2]float64{us(lat[lo]), us(lat[hi])}
	lo, hi = ciIdx(n, 0.99)
	s.P99CI95us = [2]float64{us(lat[lo]), us(lat[hi])}
}

// Fill computes the latency fields from samples in nanoseconds, for programs that collect their
// own (bench/trigger). lat is sorted in place.
func (s *Summary) Fill(lat []int64) { s.fill(lat) }
