// Package hlc is a Hybrid Logical Clock (Kulkarni, Demirbas, Madappa, Avva, Leone: "Logical
// Physical Clocks", OPODIS 2014). A timestamp is (l, c): l is the largest physical time seen
// (Unix nanoseconds of the node's own, possibly skewed, clock or of a message), c counts events
// that share that l. Timestamps respect causality whatever the physical clocks' error: if e
// happened before f, then stamp(e) < stamp(f). Text form "<l>.<c>", both decimal.
// A Clock is safe for concurrent use.
package hlc

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Timestamp is one HLC reading.
type Timestamp struct {
	L int64  // Unix nanoseconds
	C uint32 // logical counter
}

// Less orders timestamps by l, then c.
func (t Timestamp) Less(u Timestamp) bool { return t.L < u.L || (t.L == u.L && t.C < u.C) }

// String is "<l>.<c>".
func (t Timestamp) String() string { return fmt.Sprintf("%d.%d", t.L, t.C) }

// Parse reads "<l>.<c>" (c may be omitted: "<l>" is "<l>.0").
func Parse(text string) (Timestamp, error) {
	lText, cText, hasC := strings.Cut(strings.TrimSpace(text), ".")
	l, err := strconv.ParseInt(lText, 10, 64)
	if err != nil || l < 0 {
		return Timestamp{}, fmt.Errorf("hlc %q: l is not a non-negative integer", text)
	}
	var c uint64
	if hasC {
		if c, err = strconv.ParseUint(cText, 10, 32); err != nil {
			return Timestamp{}, fmt.Errorf("hlc %q: c is not a 32-bit unsigned integer", text)
		}
	}
	return Timestamp{L: l, C: uint32(c)}, nil
}

// Clock is one node's HLC over a physical clock (nanoseconds).
type Clock struct {
	mu       sync.Mutex
	physical func() int64
	last     Timestamp // guarded by mu
}

// New returns a clock reading physical time from pt (e.g. skewclock.Clock.NowNs).
func New(pt func() int64) *Clock { return &Clock{physical: pt} }

// Now stamps a local or send event.
func (k *Clock) Now() Timestamp { return k.NowAt(k.physical()) }

// NowAt stamps a local or send event at physical time pt (a reading the caller already took):
// l = max(l, pt); c = c+1 if l did not move, else 0.
func (k *Clock) NowAt(pt int64) Timestamp {
	k.mu.Lock()
	defer k.mu.Unlock()
	if pt > k.last.L {
		k.last = Timestamp{L: pt}
	} else {
		k.last.C++
	}
	return k.last
}

// Update stamps the receipt of a message stamped m.
func (k *Clock) Update(m Timestamp) Timestamp { return k.UpdateAt(k.physical(), m) }

// UpdateAt stamps the receipt of m at physical time pt: l = max(l, m.l, pt), and c continues
// whichever of l and m.l the new l equals (reset to 0 when pt alone is the maximum).
func (k *Clock) UpdateAt(pt int64, m Timestamp) Timestamp {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.last
	l := max(old.L, m.L, pt)
	var c uint32
	switch {
	case l == old.L && l == m.L:
		c = max(old.C, m.C) + 1
	case l == old.L:
		c = old.C + 1
	case l == m.L:
		c = m.C + 1
	default:
		c = 0
	}
	k.last = Timestamp{L: l, C: c}
	return k.last
}
