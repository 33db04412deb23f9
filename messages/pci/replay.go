package pci

import (
	"sync"
	"time"
)

type replayKey [32 + NonceSize]byte

// replayCache remembers accepted (signer, nonce) pairs until their
// envelope expires. Entries sit in a timing wheel with one bucket per
// second of expiry; each call first sweeps the buckets whose second has
// passed, so every entry is inserted once and removed once: O(1)
// amortized. An entry leaves the cache at the first call whose now has
// reached the whole second after its expiry (if the caller's clock went
// back, within one turn of the wheel). It holds at most max entries.
type replayCache struct {
	mu      sync.Mutex
	max     int
	entries map[replayKey]int64 // expiry, unix ns
	wheel   [][]replayKey
	swept   int64 // buckets for seconds <= swept have been swept
	started bool
}

// newReplayCache returns a cache for expiries at most horizon after now.
func newReplayCache(max int, horizon time.Duration) *replayCache {
	w := int64(horizon/time.Second) + 3
	return &replayCache{
		max:     max,
		entries: make(map[replayKey]int64),
		wheel:   make([][]replayKey, w),
	}
}

func expirySecond(ns int64) int64 {
	s := ns / 1e9
	if ns%1e9 > 0 {
		s++
	}
	return s
}

func (c *replayCache) bucket(sec int64) int {
	w := int64(len(c.wheel))
	return int(((sec % w) + w) % w)
}

func (c *replayCache) sweep(nowNs int64) {
	nowSec := nowNs / 1e9
	if nowNs < 0 && nowNs%1e9 != 0 {
		nowSec--
	}
	if !c.started {
		c.started, c.swept = true, nowSec
		return
	}
	if nowSec <= c.swept {
		return
	}
	from := c.swept + 1
	if w := int64(len(c.wheel)); nowSec-from >= w {
		from = nowSec - w + 1
	}
	for s := from; s <= nowSec; s++ {
		idx := c.bucket(s)
		keep := c.wheel[idx][:0]
		for _, k := range c.wheel[idx] {
			e, ok := c.entries[k]
			switch {
			case !ok:
			case e <= nowNs:
				delete(c.entries, k)
			case c.bucket(expirySecond(e)) == idx:
				keep = append(keep, k)
			}
		}
		clear(c.wheel[idx][len(keep):])
		c.wheel[idx] = keep
	}
	c.swept = nowSec
}

// add records k until expiry unless it is already live; it returns
// ErrReplay for a live duplicate and ErrReplayCacheFull when full.
func (c *replayCache) add(k replayKey, expiryNs, nowNs int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(nowNs)
	e, ok := c.entries[k]
	if ok && e > nowNs {
		return ErrReplay
	}
	if !ok && len(c.entries) >= c.max {
		return ErrReplayCacheFull
	}
	c.entries[k] = expiryNs
	idx := c.bucket(expirySecond(expiryNs))
	c.wheel[idx] = append(c.wheel[idx], k)
	return nil
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
