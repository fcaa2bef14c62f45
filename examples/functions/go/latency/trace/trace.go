// Package trace reads and writes the X-Ray trace header with thaw's extra Hlc field:
//
//	Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Hlc=1764280000123456789.3
//
// Fields are Key=Value separated by ';'; unknown fields are kept in order. A header without Hlc
// is valid (HLC() reports it absent). Values are plain data: no shared state.
package trace

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"thaw.dev/examples/latency/hlc"
)

// Header is the name of the HTTP header and of the Lambda invoke header.
const Header = "X-Amzn-Trace-Id"

// Field is one Key=Value of the header.
type Field struct{ Key, Value string }

// Trace is a parsed header.
type Trace struct{ Fields []Field }

// Parse splits a header value; empty pieces and pieces without '=' are dropped.
func Parse(header string) Trace {
	var t Trace
	for _, piece := range strings.Split(header, ";") {
		key, value, ok := strings.Cut(strings.TrimSpace(piece), "=")
		if ok && key != "" {
			t.Fields = append(t.Fields, Field{key, value})
		}
	}
	return t
}

// Get returns the value of key, or "".
func (t Trace) Get(key string) string {
	for _, f := range t.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// HLC is the Hlc field, parsed; ok is false when it is absent or malformed.
func (t Trace) HLC() (hlc.Timestamp, bool) {
	text := t.Get("Hlc")
	if text == "" {
		return hlc.Timestamp{}, false
	}
	ts, err := hlc.Parse(text)
	return ts, err == nil
}

// Onward is the header to send when calling onward: Root and Sampled kept, Parent kept (a new
// one when absent), Hlc set to stamp. A trace without Root gets a new one.
func (t Trace) Onward(stamp hlc.Timestamp) string {
	root, parent, sampled := t.Get("Root"), t.Get("Parent"), t.Get("Sampled")
	if root == "" {
		root = NewRoot(time.Now())
	}
	if parent == "" {
		parent = randomHex(8)
	}
	if sampled == "" {
		sampled = "0"
	}
	return fmt.Sprintf("Root=%s;Parent=%s;Sampled=%s;Hlc=%s", root, parent, sampled, stamp)
}

// NewRoot is an X-Ray trace id: 1-<8 hex digits of Unix seconds>-<24 random hex digits>.
func NewRoot(now time.Time) string {
	return fmt.Sprintf("1-%08x-%s", now.Unix(), randomHex(12))
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}
