package market

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkLicenseOps measures assessments through the license actors:
// each is a message to the license's actor, a ledger transaction (tax
// settlement, assess entry, fairness check) signed and written with one
// synced batch. Parallel callers spread over the licenses.
func BenchmarkLicenseOps(b *testing.B) {
	clk := newClock()
	cfg := testConfig(clk)
	cfg.MaxGini = 1
	cfg.Licenses = nil
	for i := range 8 {
		cfg.Licenses = append(cfg.Licenses, LicenseSpec{ID: "inference-" + string(rune('a'+i)), Kind: KindInference, Value: 100 * Credit, Genesis: true})
	}
	m := openMarket(b, openStore(b, b.TempDir()), cfg, newSystem(b))
	ids := make([]string, len(cfg.Licenses))
	for i, l := range cfg.Licenses {
		ids[i] = l.ID
	}
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
		for pb.Next() {
			id := ids[rng.IntN(len(ids))]
			if _, err := m.Assess(ident(0), id, Micro(rng.Int64N(int64(100*Credit)))+Credit); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

// BenchmarkGini computes the Gini coefficient of 10⁶ accounts in
// O(n log n).
func BenchmarkGini(b *testing.B) {
	xs := giniInput(1_000_000)
	for b.Loop() {
		_ = Gini(xs)
	}
}

// BenchmarkGiniRatio times, in each iteration, the O(n log n) Gini of 10⁶
// accounts and the naive O(n²) definition on a sample of 4,000 of them,
// and reports both, the naive cost extrapolated to 10⁶ accounts (×
// (10⁶/4,000)²) and the ratio naive/fast.
func BenchmarkGiniRatio(b *testing.B) {
	const sample = 4_000
	xs := giniInput(1_000_000)
	var fast, naive time.Duration
	for b.Loop() {
		t := time.Now()
		_ = Gini(xs)
		fast += time.Since(t)
		t = time.Now()
		_ = giniNaive(xs[:sample])
		naive += time.Since(t)
	}
	f := fast.Seconds() / float64(b.N)
	scale := float64(len(xs)) / sample
	extrapolated := naive.Seconds() / float64(b.N) * scale * scale
	b.ReportMetric(f, "s/fast-1e6")
	b.ReportMetric(naive.Seconds()/float64(b.N), "s/naive-4000")
	b.ReportMetric(extrapolated, "s/naive-1e6-extrapolated")
	b.ReportMetric(extrapolated/f, "naive/fast")
}

func giniInput(n int) []Micro {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]Micro, n)
	for i := range xs {
		xs[i] = Micro(rng.ExpFloat64() * float64(100*Credit))
	}
	return xs
}
