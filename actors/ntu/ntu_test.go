package ntu

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func mustNew(t testing.TB, cfg Config) *NTU {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func in01(x float64) bool { return x >= 0 && x <= 1 }

func checkBounds(t *testing.T, s State) {
	t.Helper()
	if !in01(s.Belief) || !in01(s.Entropy) || !in01(s.Potential) || !in01(s.Mean) {
		t.Fatalf("state out of [0,1]: %+v", s)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	cases := []struct {
		field string
		mod   func(*Config)
	}{
		{"Window", func(c *Config) { c.Window = 0 }},
		{"Window", func(c *Config) { c.Window = MaxWindow + 1 }},
		{"Alpha", func(c *Config) { c.Alpha = -0.1 }},
		{"Beta", func(c *Config) { c.Beta = math.NaN() }},
		{"Gamma", func(c *Config) { c.Gamma = 1.5 }},
		{"Alpha+Beta+Gamma", func(c *Config) { c.Alpha = 0.5 }},
		{"Threshold", func(c *Config) { c.Threshold = 1.01 }},
		{"InitialBelief", func(c *Config) { c.InitialBelief = -1 }},
		{"BeliefFloor", func(c *Config) { c.BeliefFloor = math.Inf(1) }},
		{"PriorStrength", func(c *Config) { c.PriorStrength = -1 }},
		{"PriorStrength", func(c *Config) { c.PriorStrength = math.Inf(1) }},
		{"OutlierDistance", func(c *Config) { c.OutlierDistance = 0 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", tc.field, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("error %q does not name %s", err, tc.field)
		}
		if _, err := New(c); err == nil {
			t.Errorf("%s: New accepted an invalid config", tc.field)
		}
	}
}

func TestBoundsForAnyInput(t *testing.T) {
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1e308, 1e308, -0.0,
		math.SmallestNonzeroFloat64, 1 - 1e-17, 1 + 1e-15, -1e-300, math.MaxFloat64}
	rng := rand.New(rand.NewPCG(1, 2))
	n := mustNew(t, DefaultConfig())
	var rejected uint64
	for i := range 20000 {
		var v float64
		switch rng.IntN(4) {
		case 0:
			v = special[rng.IntN(len(special))]
		case 1:
			v = rng.NormFloat64() * 10
		default:
			v = rng.Float64()
		}
		before := n.State()
		eff := n.Observe(Observation{Value: v, Source: "x"}, time.Unix(int64(i), 0))
		checkBounds(t, eff.State)
		if eff.State != n.State() {
			t.Fatalf("effect state %+v != NTU state %+v", eff.State, n.State())
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			rejected++
			if !eff.Anomalies.Has(AnomalyRejected) || eff.State != before {
				t.Fatalf("non-finite %v: anomalies %v, state changed %v", v, eff.Anomalies, eff.State != before)
			}
		} else {
			if eff.Anomalies.Has(AnomalyRejected) {
				t.Fatalf("finite %v rejected", v)
			}
			if !in01(eff.Value) || eff.State.Iteration != before.Iteration+1 {
				t.Fatalf("value %v applied as %v, iteration %d→%d", v, eff.Value, before.Iteration, eff.State.Iteration)
			}
		}
	}
	if n.Rejected() != rejected {
		t.Fatalf("Rejected() = %d, want %d", n.Rejected(), rejected)
	}
}

// reference recomputes the equations of doc.go from a plain slice.
type reference struct {
	cfg    Config
	hist   []float64
	belief float64
}

func (r *reference) observe(x float64) State {
	x = math.Max(0, math.Min(1, x))
	r.hist = append(r.hist, x)
	w := r.hist[max(0, len(r.hist)-r.cfg.Window):]
	var sum float64
	for _, v := range w {
		sum += v
	}
	n := float64(len(w))
	m := sum / n
	var ss float64
	for _, v := range w {
		ss += (v - m) * (v - m)
	}
	p := (r.cfg.PriorStrength*r.belief + sum) / (r.cfg.PriorStrength + n)
	r.belief = r.cfg.Gamma*r.belief + r.cfg.Alpha*m + r.cfg.Beta*p
	h := 0.0
	if m > 0 && m < 1 {
		h = -m*math.Log2(m) - (1-m)*math.Log2(1-m)
	}
	return State{Belief: r.belief, Entropy: h, Potential: 1 - 4*ss/n, Mean: m, Iteration: uint64(len(r.hist))}
}

func TestMatchesReferenceEquations(t *testing.T) {
	for _, w := range []int{1, 2, 5, 7, 64} {
		cfg := DefaultConfig()
		cfg.Window = w
		n := mustNew(t, cfg)
		ref := &reference{cfg: cfg, belief: cfg.InitialBelief}
		rng := rand.New(rand.NewPCG(uint64(w), 9))
		for i := range 3000 {
			x := rng.Float64()
			if i%97 == 0 {
				x = 1.7 // clamped to 1
			}
			got := n.ObserveValue(x).State
			want := ref.observe(x)
			const tol = 1e-6 // quantisation of the window is 2^-24
			if math.Abs(got.Belief-want.Belief) > tol || math.Abs(got.Mean-want.Mean) > tol ||
				math.Abs(got.Entropy-want.Entropy) > 1e-5 || math.Abs(got.Potential-want.Potential) > tol ||
				got.Iteration != want.Iteration {
				t.Fatalf("w=%d step %d: got %+v, want %+v", w, i, got, want)
			}
		}
	}
}

func TestConvergenceToSustainedSignal(t *testing.T) {
	cfg := DefaultConfig()
	factor := cfg.Gamma + cfg.Beta*cfg.PriorStrength/(cfg.PriorStrength+float64(cfg.Window))
	for _, x := range []float64{0, 0.1, 0.5, 0.77, 0.96, 1} {
		for _, start := range []float64{0, 0.5, 1} {
			c := cfg
			c.InitialBelief = start
			n := mustNew(t, c)
			var prevErr float64
			for i := range 60 {
				s := n.ObserveValue(x).State
				err := math.Abs(s.Belief - x)
				if i >= cfg.Window && err > factor*prevErr+1e-7 {
					t.Fatalf("x=%v start=%v step %d: error %g not contracted from %g (factor %g)", x, start, i, err, prevErr, factor)
				}
				prevErr = err
			}
			s := n.State()
			if math.Abs(s.Belief-x) > 1e-6 || math.Abs(s.Mean-x) > 1e-7 || math.Abs(s.Potential-1) > 1e-9 {
				t.Fatalf("x=%v start=%v: did not converge: %+v", x, start, s)
			}
		}
	}
}

func TestDetectsSustainedHighSignal(t *testing.T) {
	n := mustNew(t, DefaultConfig())
	onsets := 0
	firstDetected := -1
	for i := range 30 {
		eff := n.ObserveValue(0.99)
		if eff.Onset {
			onsets++
		}
		if eff.Detected && firstDetected < 0 {
			firstDetected = i
		}
		if firstDetected >= 0 && !eff.Detected {
			t.Fatalf("detection lost at step %d under a sustained signal", i)
		}
	}
	if firstDetected < 0 || firstDetected > 10 {
		t.Fatalf("sustained 0.99 first detected at step %d, want within 10", firstDetected)
	}
	if onsets != 1 {
		t.Fatalf("onsets = %d, want 1", onsets)
	}
	if s := n.State(); s.Entropy > 0.1 || s.Potential < 0.999 {
		t.Fatalf("sustained signal should have low entropy and high potential: %+v", s)
	}
	// A sustained signal just below the threshold is never detected.
	m := mustNew(t, DefaultConfig())
	for range 200 {
		if m.ObserveValue(0.94).Detected {
			t.Fatal("sustained 0.94 detected at threshold 0.95")
		}
	}
}

func TestNoiseIsNotDetected(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	n := mustNew(t, DefaultConfig())
	var entropySum, potentialSum float64
	const steps = 20000
	for range steps {
		eff := n.ObserveValue(rng.Float64())
		if eff.Detected {
			t.Fatalf("uniform noise detected: %+v", eff.State)
		}
		entropySum += eff.State.Entropy
		potentialSum += eff.State.Potential
	}
	// Uniform noise: window mean near 1/2 so entropy near 1; Var = 1/12 so
	// potential near 1 - 4/12·(w-1)/w on average.
	if e := entropySum / steps; e < 0.85 {
		t.Fatalf("mean entropy under noise = %v, want high", e)
	}
	if p := potentialSum / steps; p > 0.85 || p < 0.55 {
		t.Fatalf("mean potential under noise = %v, want ≈ 0.73", p)
	}
}

func TestOnlyTheWindowMatters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cfg := DefaultConfig()
	factor := cfg.Gamma + cfg.Beta*cfg.PriorStrength/(cfg.PriorStrength+float64(cfg.Window))
	for trial := range 200 {
		a, b := mustNew(t, cfg), mustNew(t, cfg)
		for range 1 + rng.IntN(50) {
			a.ObserveValue(rng.Float64())
		}
		for range 1 + rng.IntN(50) {
			b.ObserveValue(rng.Float64() * 0.2)
		}
		gap0 := math.Abs(a.State().Belief - b.State().Belief)
		tail := make([]float64, cfg.Window+rng.IntN(10))
		for i := range tail {
			tail[i] = rng.Float64()
		}
		for _, v := range tail {
			a.ObserveValue(v)
			b.ObserveValue(v)
		}
		sa, sb := a.State(), b.State()
		if sa.Mean != sb.Mean || sa.Entropy != sb.Entropy || sa.Potential != sb.Potential {
			t.Fatalf("trial %d: window statistics depend on observations older than the window: %+v vs %+v", trial, sa, sb)
		}
		// Older history still reaches belief, but only through b, shrinking
		// by the contraction factor at each step of a full window.
		bound := gap0*math.Pow(factor, float64(len(tail)-cfg.Window)) + 1e-9
		if gap := math.Abs(sa.Belief - sb.Belief); gap > bound {
			t.Fatalf("trial %d: belief gap %g after %d shared steps exceeds %g", trial, gap, len(tail), bound)
		}
	}
}

func TestAnomalies(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := mustNew(t, DefaultConfig())
	// No outlier is reported before the window is full.
	if eff := n.ObserveValue(0.99); eff.Anomalies.Has(AnomalyOutlier) {
		t.Fatal("outlier reported against an empty window")
	}
	if eff := n.ObserveValue(0.0); eff.Anomalies.Has(AnomalyOutlier) {
		t.Fatal("outlier reported against a partial window")
	}
	for range 20 {
		n.ObserveValue(0.99)
	}
	if !n.Detected() {
		t.Fatal("setup: sustained 0.99 not detected")
	}
	eff := n.Observe(Observation{Value: 0.2, Source: "gate"}, now)
	if !eff.Anomalies.Has(AnomalyOutlier) || !eff.Anomalies.Has(AnomalyDetectionLost) {
		t.Fatalf("drop to 0.2: anomalies %v, want outlier|detection_lost", eff.Anomalies)
	}
	if eff.Source != "gate" || !eff.At.Equal(now) || math.Abs(eff.Deviation-0.79) > 1e-6 {
		t.Fatalf("effect metadata: %+v", eff)
	}
	if got := eff.Anomalies.String(); got != "outlier|detection_lost" {
		t.Fatalf("String() = %q", got)
	}
	// A value close to the window is not an outlier.
	m := mustNew(t, DefaultConfig())
	for range 10 {
		m.ObserveValue(0.6)
	}
	if eff := m.ObserveValue(0.85); eff.Anomalies != 0 {
		t.Fatalf("0.85 after 0.6s: anomalies %v", eff.Anomalies)
	}
	// Belief-low is edge-triggered: reported once when crossing the floor.
	lows := 0
	for range 30 {
		if m.ObserveValue(0.05).Anomalies.Has(AnomalyBeliefLow) {
			lows++
		}
	}
	if lows != 1 {
		t.Fatalf("belief_low reported %d times, want 1", lows)
	}
	if Anomaly(0).String() != "none" || AnomalyRejected.Has(0) {
		t.Fatal("zero anomaly")
	}
}

func TestReset(t *testing.T) {
	n := mustNew(t, DefaultConfig())
	fresh := n.State()
	for range 10 {
		n.ObserveValue(1)
	}
	n.ObserveValue(math.NaN())
	n.Reset()
	if n.State() != fresh || n.Detected() || n.Rejected() != 0 {
		t.Fatalf("after Reset: %+v detected=%v rejected=%d", n.State(), n.Detected(), n.Rejected())
	}
	// The window is empty again: a fresh sequence gives fresh results.
	m := mustNew(t, DefaultConfig())
	for _, v := range []float64{0.3, 0.9} {
		if a, b := n.ObserveValue(v).State, m.ObserveValue(v).State; a != b {
			t.Fatalf("after Reset: %+v, fresh NTU: %+v", a, b)
		}
	}
}

func TestMinimalDetect(t *testing.T) {
	det, belief := MinimalDetect([]float64{0.9, 0.92, 0.95}, 0.95, 5)
	if det || belief >= 0.95 || belief <= DefaultInitialBelief {
		t.Fatalf("seed example: detected=%v belief=%v", det, belief)
	}
	high := make([]float64, 20)
	for i := range high {
		high[i] = 0.99
	}
	if det, belief := MinimalDetect(high, 0.95, 5); !det || belief < 0.95 {
		t.Fatalf("sustained 0.99: detected=%v belief=%v", det, belief)
	}
	if det, _ := MinimalDetect(high, 0.999, 5); det {
		t.Fatal("0.99s detected at threshold 0.999")
	}
	if det, belief := MinimalDetect(nil, 0.95, 5); det || belief != DefaultInitialBelief {
		t.Fatalf("no observations: %v %v", det, belief)
	}
	// Matches a hand-driven NTU, and out-of-range arguments fall back as documented.
	rng := rand.New(rand.NewPCG(5, 5))
	obs := make([]float64, 100)
	for i := range obs {
		obs[i] = 0.7 + 0.3*rng.Float64()
	}
	obs[10] = math.NaN()
	for _, tc := range []struct {
		thr     float64
		win     int
		wantThr float64
		wantWin int
	}{
		{0.8, 3, 0.8, 3}, {math.NaN(), 0, DefaultThreshold, DefaultWindow},
		{2, -4, 1, DefaultWindow}, {-1, MaxWindow + 9, 0, MaxWindow},
	} {
		cfg := DefaultConfig()
		cfg.Threshold, cfg.Window = tc.wantThr, tc.wantWin
		n := mustNew(t, cfg)
		for _, v := range obs {
			n.ObserveValue(v)
		}
		det, belief := MinimalDetect(obs, tc.thr, tc.win)
		if det != n.Detected() || belief != n.State().Belief {
			t.Fatalf("MinimalDetect(thr=%v, win=%d) = %v,%v; NTU gives %v,%v", tc.thr, tc.win, det, belief, n.Detected(), n.State().Belief)
		}
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	n := mustNew(t, DefaultConfig())
	now := time.Now()
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		n.Observe(Observation{Value: float64(i%100) / 100, Source: "latency"}, now)
	})
	if allocs != 0 {
		t.Fatalf("Observe allocates %v times per call", allocs)
	}
}

var sink float64

func BenchmarkObserve(b *testing.B) {
	n := mustNew(b, DefaultConfig())
	vals := make([]float64, 1024)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range vals {
		vals[i] = rng.Float64()
	}
	now := time.Now()
	var acc float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		acc += n.Observe(Observation{Value: vals[i&1023], Source: "bench"}, now).State.Belief
	}
	sink = acc
}

func BenchmarkMinimalDetect100(b *testing.B) {
	obs := make([]float64, 100)
	for i := range obs {
		obs[i] = 0.9 + float64(i%10)/100
	}
	b.ReportAllocs()
	for b.Loop() {
		MinimalDetect(obs, 0.95, 5)
	}
}

func TestLnNormalMatchesMathLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	check := func(x float64) {
		t.Helper()
		if x == 0 {
			return
		}
		if got, want := lnNormal(x), math.Log(x); math.Abs(got-want) > 2e-11 {
			t.Fatalf("lnNormal(%v) = %v, math.Log = %v", x, got, want)
		}
	}
	for _, x := range []float64{1, 0.5, 0.25, math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 0), 1.0 / quantF, 1.0 / (MaxWindow * quantF), 1 - 1.0/quantF, 0.999999} {
		check(x)
	}
	for range 100000 {
		check(rng.Float64())
		check(math.Ldexp(rng.Float64(), -rng.IntN(40)))
	}
}
