package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

func TestCommitterConcurrentWritesAllDurable(t *testing.T) {
	for _, pipeline := range []int{1, 3} {
		t.Run(fmt.Sprintf("pipeline=%d", pipeline), func(t *testing.T) {
			testConcurrentWrites(t, pipeline)
		})
	}
}

func testConcurrentWrites(t *testing.T, pipeline int) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.CommitPipeline = pipeline
	s, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				var b Batch
				b.Put(fmt.Appendf(nil, "log/%02d/%03d", w, i), fmt.Appendf(nil, "v%d.%d", w, i))
				b.Put(fmt.Appendf(nil, "log/%02d/%03d/pair", w, i), []byte("p"))
				if err := c.Commit(&b); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.Batches != writers*each || st.Ops != 2*writers*each {
		t.Fatalf("stats %+v, want %d batches and %d ops", st, writers*each, 2*writers*each)
	}
	if st.Groups < 1 || st.Groups > st.Batches {
		t.Fatalf("stats %+v: groups out of range", st)
	}
	c.Stop()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir)
	n := 0
	if err := s.Scan([]byte("log/"), func(k, v []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2*writers*each {
		t.Fatalf("after reopen %d keys, want %d", n, 2*writers*each)
	}
	if got := mustGet(t, s, "log/07/011"); got != "v7.11" {
		t.Fatalf("log/07/011 = %q", got)
	}
}

// TestCommitterGroupsWaitingWriters holds the loop inside its first group
// until the other writers are all waiting, then checks they were committed
// together as one group (one pebble batch, one fsync).
func TestCommitterGroupsWaitingWriters(t *testing.T) {
	cfg := testConfig()
	cfg.CommitPipeline = 1
	s, err := Open(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	c, err := s.newCommitter(func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	const followers = 10
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Put([]byte("log/first"), []byte("1")); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, "the first group to start", func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	var started sync.WaitGroup
	for i := range followers {
		started.Add(1)
		wg.Go(func() {
			started.Done()
			if err := c.Put(fmt.Appendf(nil, "log/f%02d", i), []byte("f")); err != nil {
				t.Error(err)
			}
		})
	}
	started.Wait()
	// The only slot is held, so the followers queue up.
	waitFor(t, "followers to queue", func() bool { return c.queued() == followers })
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != followers {
		t.Fatalf("group sizes %v, want [1 %d]", sizes, followers)
	}
	if st := c.Stats(); st.Groups != 2 || st.Batches != followers+1 {
		t.Fatalf("stats %+v, want 2 groups, %d batches", st, followers+1)
	}
	for i := range followers {
		if got := mustGet(t, s, fmt.Sprintf("log/f%02d", i)); got != "f" {
			t.Fatalf("log/f%02d = %q", i, got)
		}
	}
}

func TestCommitterGroupLimits(t *testing.T) {
	cfg := testConfig()
	cfg.CommitMaxOps = 3
	cfg.CommitPipeline = 1
	s, err := Open(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	c, err := s.newCommitter(func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	var wg sync.WaitGroup
	wg.Go(func() { c.Put([]byte("log/x"), nil) })
	waitFor(t, "first group", func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	// A batch over the limit goes alone; single puts fill groups of 3.
	var big Batch
	for i := range 5 {
		big.Put(fmt.Appendf(nil, "log/big%d", i), nil)
	}
	wg.Go(func() {
		if err := c.Commit(&big); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, "big batch queued", func() bool { return c.queued() == 1 })
	for i := range 6 {
		wg.Go(func() {
			if err := c.Put(fmt.Appendf(nil, "log/s%d", i), nil); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, "small writes queued", func() bool { return c.queued() == 7 })
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for i, n := range sizes[1:] {
		total += n
		if n > 3 {
			// Only a group holding the big batch alone may exceed the limit.
			t.Errorf("group %d has %d requests", i+1, n)
		}
	}
	if total != 7 {
		t.Errorf("groups %v cover %d requests, want 7", sizes, total)
	}
	if st := c.Stats(); st.Ops != 1+5+6 {
		t.Errorf("stats %+v", st)
	}
}

func TestCommitterStop(t *testing.T) {
	s := openTest(t)
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put([]byte("log/a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	c.Stop()
	if err := c.Put([]byte("log/b"), []byte("1")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Stop: %v", err)
	}
	if err := c.Commit(&Batch{}); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
	var bad Batch
	bad.Put(nil, nil)
	if err := c.Commit(&bad); !errors.Is(err, ErrEmptyKey) {
		t.Fatalf("empty key: %v", err)
	}
	// Concurrent Stops all return.
	c2, _ := s.NewCommitter()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(c2.Stop)
	}
	wg.Wait()
}

func TestStoreCloseStopsCommitters(t *testing.T) {
	s, err := Open(t.TempDir(), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	// Writers keep going while the store closes; each gets nil or ErrClosed.
	var wg sync.WaitGroup
	var okCount, closedCount int
	var mu sync.Mutex
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				err := c.Put(fmt.Appendf(nil, "log/%d/%d", w, i), nil)
				mu.Lock()
				if err == nil {
					okCount++
				} else if errors.Is(err, ErrClosed) {
					closedCount++
				} else {
					t.Errorf("unexpected error: %v", err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	waitFor(t, "some writes", func() bool { mu.Lock(); defer mu.Unlock(); return okCount >= 8 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if closedCount != 4 {
		t.Fatalf("%d writers saw ErrClosed, want 4", closedCount)
	}
	c.Stop() // after Close: still safe
}

func TestCommitterStopFailsQueuedWrites(t *testing.T) {
	cfg := testConfig()
	cfg.CommitPipeline = 1
	s, err := Open(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	var held atomic.Bool
	c, err := s.newCommitter(func(int) {
		if held.CompareAndSwap(false, true) {
			<-release
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	leader := make(chan error, 1)
	go func() { leader <- c.Put([]byte("log/leader"), []byte("l")) }()
	waitFor(t, "leader holding the slot", held.Load)
	const queuedWriters = 3
	results := make(chan error, queuedWriters)
	for i := range queuedWriters {
		go func() { results <- c.Put(fmt.Appendf(nil, "log/q%d", i), nil) }()
	}
	waitFor(t, "writers to queue", func() bool { return c.queued() == queuedWriters })
	stopped := make(chan struct{})
	go func() { c.Stop(); close(stopped) }()
	for range queuedWriters {
		if err := <-results; !errors.Is(err, ErrClosed) {
			t.Fatalf("queued write during Stop: %v, want ErrClosed", err)
		}
	}
	select {
	case <-stopped:
		t.Fatal("Stop returned while a group was still being committed")
	default:
	}
	close(release)
	<-stopped
	if err := <-leader; err != nil {
		t.Fatalf("the group in flight: %v", err)
	}
	if got := mustGet(t, s, "log/leader"); got != "l" {
		t.Fatalf("log/leader = %q", got)
	}
	for i := range queuedWriters {
		if ok, _ := s.Has(fmt.Appendf(nil, "log/q%d", i)); ok {
			t.Fatalf("log/q%d written although its Put failed", i)
		}
	}
}
