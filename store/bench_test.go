package store

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type mode int

const (
	modeGroup  mode = iota // through the Committer
	modeSingle             // one synced pebble write per append, concurrently
	modeSerial             // one synced pebble write per append, one at a time
)

var modeNames = [...]string{"group", "single", "serial"}

// durableAppends runs n appends of 128-byte values split over writers
// goroutines, each append durable before the next one of that goroutine. group selects the Committer; otherwise
// each append is its own synced Put.
func durableAppends(b *testing.B, s *Store, c *Committer, m mode, writers, n int, tag string) {
	b.Helper()
	value := make([]byte, 128)
	var serial sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				key := fmt.Appendf(nil, "log/bench/%s/%02d/%09d", tag, w, i)
				var err error
				switch m {
				case modeGroup:
					err = c.Put(key, value)
				case modeSingle:
					err = s.Put(key, value, Sync)
				case modeSerial:
					serial.Lock()
					err = s.Put(key, value, Sync)
					serial.Unlock()
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkDurableAppends compares, for 1, 8 and 64 concurrent writers,
// durable appends/s through the Committer (group commit) with one synced
// pebble write per append issued concurrently (pebble's own commit
// pipeline may still share an fsync between concurrent writes) and with
// synced writes issued one at a time (one fsync each), in the same run,
// and reports the rates and ratios. Each of the b.N iterations is one
// append in each mode. The modes take turns in rounds so that drift in the
// disk's speed (other users of the machine) affects them alike.
// BIZRA_BENCH_PIPELINE=N sets Config.CommitPipeline.
func BenchmarkDurableAppends(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			cfg := testConfig()
			if p, _ := strconv.Atoi(os.Getenv("BIZRA_BENCH_PIPELINE")); p > 0 {
				cfg.CommitPipeline = p
			}
			s, err := Open(b.TempDir(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c, err := s.NewCommitter()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Stop()
			const rounds = 8
			per := max(b.N/rounds, writers)
			var took [3]time.Duration
			b.ResetTimer()
			for r := range rounds {
				for k := range 3 {
					m := mode((r + k) % 3)
					start := time.Now()
					durableAppends(b, s, c, m, writers, per, fmt.Sprintf("%d-%d-%s", b.N, r, modeNames[m]))
					took[m] += time.Since(start)
				}
			}
			b.StopTimer()
			n := float64(rounds * per)
			var rate [3]float64
			for m := range rate {
				rate[m] = n / took[m].Seconds()
			}
			st := c.Stats()
			b.ReportMetric(rate[modeGroup], "group_appends/s")
			b.ReportMetric(rate[modeSingle], "single_appends/s")
			b.ReportMetric(rate[modeSerial], "serial_appends/s")
			b.ReportMetric(rate[modeGroup]/rate[modeSingle], "group/single")
			b.ReportMetric(rate[modeGroup]/rate[modeSerial], "group/serial")
			b.ReportMetric(float64(st.Batches)/float64(max(st.Groups, 1)), "appends/group")
			b.Logf("writers=%d appends=%d per mode: group commit %.0f/s (%d groups), one synced write each %.0f/s (ratio %.2fx), serialized synced writes %.0f/s (ratio %.2fx)",
				writers, rounds*per, rate[modeGroup], st.Groups, rate[modeSingle], rate[modeGroup]/rate[modeSingle], rate[modeSerial], rate[modeGroup]/rate[modeSerial])
		})
	}
}
