package market

import (
	"slices"
)

// DefaultMaxGini is the blueprint's GINI_CONSTRAINT (§4.5, Appendix B).
const DefaultMaxGini = 0.35

// Gini returns the Gini coefficient of values, in [0, 1]:
//
//	G = Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄)
//
// computed in O(n log n) from the sorted values as
//
//	G = 2 Σᵢ i·x₍ᵢ₎ / (n Σ x) − (n + 1) / n     (i = 1…n, ascending)
//
// 0 is perfect equality (also returned for no values or a zero total), and
// (n−1)/n is one identity holding everything. Negative values are treated
// as 0. values is not modified.
func Gini(values []Micro) float64 {
	xs := make([]Micro, len(values))
	copy(xs, values)
	slices.Sort(xs)
	return GiniSorted(xs)
}

// GiniSorted is Gini for values already in ascending order, in O(n).
func GiniSorted(xs []Micro) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	var total, weighted float64
	for i, x := range xs {
		if x < 0 {
			x = 0
		}
		total += float64(x)
		weighted += float64(i+1) * float64(x)
	}
	if total == 0 {
		return 0
	}
	g := 2*weighted/(float64(n)*total) - float64(n+1)/float64(n)
	switch {
	case g < 0:
		return 0
	case g > 1:
		return 1
	}
	return g
}
