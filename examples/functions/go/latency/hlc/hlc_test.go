package hlc

import "testing"

// A settable physical clock.
type fake struct{ ns int64 }

func (f *fake) read() int64 { return f.ns }

func TestTextRoundTrip(t *testing.T) {
	ts := Timestamp{L: 1764280000123456789, C: 3}
	if ts.String() != "1764280000123456789.3" {
		t.Fatalf("String = %q", ts.String())
	}
	got, err := Parse("1764280000123456789.3")
	if err != nil || got != ts {
		t.Fatalf("Parse = %v, %v", got, err)
	}
	if got, err := Parse("42"); err != nil || got != (Timestamp{L: 42}) {
		t.Fatalf("Parse(42) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "x.1", "1.x", "-5.0", "1.99999999999"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestLocalEventsAdvance(t *testing.T) {
	pt := &fake{ns: 100}
	k := New(pt.read)
	a := k.Now()
	b := k.Now() // physical time did not move: the counter does
	pt.ns = 50   // the physical clock steps back: HLC does not
	c := k.Now()
	pt.ns = 200
	d := k.Now()
	want := []Timestamp{{100, 0}, {100, 1}, {100, 2}, {200, 0}}
	for i, got := range []Timestamp{a, b, c, d} {
		if got != want[i] {
			t.Errorf("event %d: %v, want %v", i, got, want[i])
		}
	}
}

func TestReceiveCases(t *testing.T) {
	cases := []struct {
		name string
		last Timestamp
		pt   int64
		m    Timestamp
		want Timestamp
	}{
		{"physical time leads", Timestamp{10, 4}, 30, Timestamp{20, 7}, Timestamp{30, 0}},
		{"message leads", Timestamp{10, 4}, 15, Timestamp{20, 7}, Timestamp{20, 8}},
		{"own l leads", Timestamp{40, 4}, 15, Timestamp{20, 7}, Timestamp{40, 5}},
		{"own l equals message", Timestamp{20, 4}, 15, Timestamp{20, 7}, Timestamp{20, 8}},
		{"own c larger on tie", Timestamp{20, 9}, 20, Timestamp{20, 7}, Timestamp{20, 10}},
	}
	for _, tc := range cases {
		k := New(func() int64 { return tc.pt })
		k.last = tc.last
		if got := k.Update(tc.m); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Two nodes whose physical clocks disagree by more than the message delay: raw timestamps
// order the receive before the send, HLC never does.
func TestCausalityUnderSkew(t *testing.T) {
	trueNs := int64(1_000_000)
	a := New(func() int64 { return trueNs + 5_000 }) // A runs 5 us fast
	b := New(func() int64 { return trueNs - 5_000 }) // B runs 5 us slow
	for i := 0; i < 100; i++ {
		send := a.Now()
		trueNs += 1_000 // 1 us one-way delay, less than the 10 us skew
		recv := b.Update(send)
		if !send.Less(recv) {
			t.Fatalf("round %d: send %v not before receive %v", i, send, recv)
		}
		trueNs += 1_000
		reply := b.Now()
		trueNs += 1_000
		back := a.Update(reply)
		if !recv.Less(reply) || !reply.Less(back) {
			t.Fatalf("round %d: %v %v %v out of order", i, recv, reply, back)
		}
	}
}
