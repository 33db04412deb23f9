package pci

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

func rk(i uint64) replayKey {
	var k replayKey
	binary.BigEndian.PutUint64(k[:], i)
	return k
}

func TestReplayCacheExpiryAndBound(t *testing.T) {
	c := newReplayCache(100, 10*time.Minute+30*time.Second)
	now := testNow.UnixNano()
	sec := int64(time.Second)
	for i := range 100 {
		// Expiries spread over 1..100 seconds ahead.
		if err := c.add(rk(uint64(i)), now+int64(i+1)*sec, now); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if err := c.add(rk(5), now+sec, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := c.add(rk(1000), now+sec, now); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("full cache: %v", err)
	}
	// 10 s later the entries whose expiry second has passed are evicted:
	// expiry is rounded up to a whole second, now down.
	later := now + 10*sec
	if err := c.add(rk(1000), later+sec, later); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	want := 1
	for i := range 100 {
		exp := now + int64(i+1)*sec
		if (exp+sec-1)/sec > later/sec {
			want++
		}
	}
	if want >= 100 || want < 90 {
		t.Fatalf("test arithmetic: want %d", want)
	}
	if n := c.len(); n != want {
		t.Fatalf("len %d, want %d", n, want)
	}
	// An expired key may be used again.
	if err := c.add(rk(0), later+sec, later); err != nil {
		t.Fatalf("reuse of expired key: %v", err)
	}
	// A jump far beyond the wheel clears everything.
	far := now + int64(24*time.Hour)
	if err := c.add(rk(2000), far+sec, far); err != nil {
		t.Fatal(err)
	}
	if n := c.len(); n != 1 {
		t.Fatalf("len %d after a day, want 1", n)
	}
	// Time going backwards neither panics nor forgets live entries.
	if err := c.add(rk(3000), now+5*sec, now); err != nil {
		t.Fatal(err)
	}
	if err := c.add(rk(2000), far+sec, now); !errors.Is(err, ErrReplay) {
		t.Fatalf("entry lost when the clock went back: %v", err)
	}
	// The entry inserted "in the past" is evicted within one turn of the
	// wheel (horizon + 3 s).
	at := far + int64(11*time.Minute)
	if err := c.add(rk(4000), at+2*sec, at); err != nil {
		t.Fatal(err)
	}
	if n := c.len(); n != 1 {
		t.Fatalf("len %d, want 1", n)
	}
}

// Steady load: the cache size stays near rate x lifetime, however long it runs.
func TestReplayCacheSteadyState(t *testing.T) {
	c := newReplayCache(1<<20, 70*time.Second)
	now := testNow.UnixNano()
	ttl := int64(40 * time.Second)
	step := int64(10 * time.Millisecond) // 100 per second
	maxLen := 0
	for i := range 20000 {
		at := now + int64(i)*step
		if err := c.add(rk(uint64(i)), at+ttl, at); err != nil {
			t.Fatal(err)
		}
		maxLen = max(maxLen, c.len())
	}
	if maxLen > 4100+100 {
		t.Fatalf("cache grew to %d entries, want about 4000", maxLen)
	}
}
