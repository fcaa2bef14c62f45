// Package node is what every hop of the latency experiment shares: its skewed clock, its HLC
// over that clock, and the stamps a callee returns (T2 on receipt, T3 on reply, with the HLC
// readings at those two events). A Node is safe for concurrent use.
package node

import (
	"thaw.dev/examples/latency/hlc"
	"thaw.dev/examples/latency/skewclock"
	"thaw.dev/examples/latency/trace"
)

// Node is one hop: a Lambda function or the test host.
type Node struct {
	Skew *skewclock.Clock
	HLC  *hlc.Clock
}

// New builds a node over a skewed clock.
func New(skew *skewclock.Clock) *Node {
	return &Node{Skew: skew, HLC: hlc.New(skew.NowNs)}
}

// CalleeStamps is a callee's answer body.
type CalleeStamps struct {
	T2          int64  `json:"t2"` // receipt, callee's skewed clock (Unix ns)
	T3          int64  `json:"t3"` // reply
	HLC2        string `json:"hlc2"`
	HLC3        string `json:"hlc3"`
	ReceivedHLC bool   `json:"received_hlc"` // the request's trace header carried Hlc
}

// Receive stamps T2 and merges the incoming header's Hlc, if any.
func (n *Node) Receive(header string) (t2 int64, stamp hlc.Timestamp, merged bool) {
	t2 = n.Skew.NowNs()
	if m, ok := trace.Parse(header).HLC(); ok {
		return t2, n.HLC.UpdateAt(t2, m), true
	}
	return t2, n.HLC.NowAt(t2), false
}

// Send stamps a send event (T1 or T3).
func (n *Node) Send() (int64, hlc.Timestamp) {
	t := n.Skew.NowNs()
	return t, n.HLC.NowAt(t)
}

// Serve is a callee's whole exchange: stamps on receipt and on reply, and the header to answer
// with (the request's trace with the reply's Hlc).
func (n *Node) Serve(header string) (CalleeStamps, string) {
	t2, h2, merged := n.Receive(header)
	t3, h3 := n.Send()
	return CalleeStamps{T2: t2, T3: t3, HLC2: h2.String(), HLC3: h3.String(), ReceivedHLC: merged},
		trace.Parse(header).Onward(h3)
}

// AnswerStamp is the stamp of an answer: the later of the answer header's Hlc and the callee's
// T3 stamp from the body, and where it came from ("header" or "body"). The header may only echo
// the request's (thaw echoes X-Amzn-Trace-Id, as Lambda does), which carries the caller's own
// send stamp, older than the callee's.
func AnswerStamp(answerHeader string, body hlc.Timestamp) (hlc.Timestamp, string) {
	if h, ok := trace.Parse(answerHeader).HLC(); ok && !h.Less(body) {
		return h, "header"
	}
	return body, "body"
}
