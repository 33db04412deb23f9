package market

import (
	"math"
	"math/rand/v2"
	"testing"
	"testing/quick"
)

func TestGiniKnownValues(t *testing.T) {
	for _, tc := range []struct {
		xs   []Micro
		want float64
	}{
		{nil, 0},
		{[]Micro{0, 0, 0}, 0},
		{[]Micro{5, 5, 5, 5}, 0},
		{[]Micro{1, 0}, 0.5},
		{[]Micro{0, 0, 0, 10}, 0.75},
		{[]Micro{1, 2, 3, 4}, 0.25},
		{[]Micro{-3, 0, 0, 10}, 0.75}, // negatives count as 0
	} {
		if got := Gini(tc.xs); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Gini(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

// TestGiniMatchesNaive: on random inputs the O(n log n) formula lies in
// [0,1] and equals the O(n²) definition.
func TestGiniMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(xs []Micro) bool {
		g := Gini(xs)
		return g >= 0 && g <= 1 && math.Abs(g-giniNaive(xs)) <= 1e-9
	}
	for i := range 500 {
		n := rng.IntN(200)
		xs := make([]Micro, n)
		for j := range xs {
			switch i % 3 {
			case 0:
				xs[j] = Micro(rng.Int64N(1000))
			case 1: // heavy tailed
				xs[j] = Micro(math.Exp(rng.Float64() * 30))
			default: // mostly zeros
				if rng.IntN(5) == 0 {
					xs[j] = Micro(rng.Int64N(int64(1_000_000 * Credit)))
				}
			}
		}
		if !check(xs) {
			t.Fatalf("case %d: Gini %v, naive %v for %v", i, Gini(xs), giniNaive(xs), xs)
		}
	}
	if err := quick.Check(func(raw []uint32) bool {
		xs := make([]Micro, len(raw))
		for i, r := range raw {
			xs[i] = Micro(r)
		}
		return check(xs)
	}, &quick.Config{MaxCount: 300}); err != nil {
		t.Fatal(err)
	}
}
