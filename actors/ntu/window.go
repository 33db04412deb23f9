package ntu

import (
	"math"
	"math/bits"
)

// Observations are stored as fixed-point integers with quantum 2^-24
// (≈6e-8), so the running sums Σq and Σq² are exact: they never drift
// however long the NTU runs. With Window ≤ MaxWindow = 2^12, Σq ≤ 2^36 and
// Σq² ≤ 2^60 fit in a uint64.
const (
	quantBits = 24
	quantOne  = 1 << quantBits
	quantF    = float64(quantOne)
)

// window is a fixed-size ring buffer with exact running sums.
type window struct {
	buf   []uint32
	next  int // index the next value is written to
	n     int // number of values held, ≤ len(buf)
	sum   uint64
	sumSq uint64
	inv   float64 // 1/n, or 0 when empty
}

func newWindow(size int) window { return window{buf: make([]uint32, size)} }

func quantize(x float64) uint32 { return uint32(x*quantF + 0.5) }

// push adds q, evicting the oldest value when the window is full.
func (w *window) push(q uint32) {
	if w.n == len(w.buf) {
		old := uint64(w.buf[w.next])
		w.sum -= old
		w.sumSq -= old * old
	} else {
		w.n++
		w.inv = 1 / float64(w.n)
	}
	w.buf[w.next] = q
	v := uint64(q)
	w.sum += v
	w.sumSq += v * v
	w.next++
	if w.next == len(w.buf) {
		w.next = 0
	}
}

func (w *window) full() bool { return w.n == len(w.buf) }

// mean of the held values; 0 when empty.
func (w *window) mean() float64 {
	return float64(w.sum) * (1 / quantF) * w.inv
}

// sumValue is Σx in real units.
func (w *window) sumValue() float64 { return float64(w.sum) * (1 / quantF) }

// variance is the population variance of the held values, computed from
// n·Σq² − (Σq)² in exact 128-bit arithmetic, so it is never negative.
func (w *window) variance() float64 {
	if w.n < 2 {
		return 0
	}
	n := uint64(w.n)
	h1, l1 := bits.Mul64(n, w.sumSq)
	h2, l2 := bits.Mul64(w.sum, w.sum)
	lo, borrow := bits.Sub64(l1, l2, 0)
	hi, _ := bits.Sub64(h1, h2, borrow)
	d := float64(hi)*0x1p64 + float64(lo)
	return d * (w.inv * w.inv * (1 / (quantF * quantF)))
}

func (w *window) reset() {
	clear(w.buf)
	w.next, w.n, w.sum, w.sumSq, w.inv = 0, 0, 0, 0, 0
}

// binaryEntropy is H₂(p) = −p·log₂p − (1−p)·log₂(1−p), in [0,1].
func binaryEntropy(p float64) float64 {
	if p <= 0 || p >= 1 {
		return 0
	}
	return clamp01(-(p*lnNormal(p) + (1-p)*lnNormal(1-p)) * (1 / math.Ln2))
}

// lnNormal is the natural logarithm of a positive normal float64, inlined
// for Observe's budget: x = 2^e·f with f ∈ [√½, √2), and
// ln f = 2·atanh(s), s = (f−1)/(f+1), |s| ≤ 0.1716, summed to s¹³ (absolute
// error below 2e-11; tested against math.Log).
func lnNormal(x float64) float64 {
	b := math.Float64bits(x)
	e := int64(b>>52) - 1023
	f := math.Float64frombits(b&(1<<52-1) | 1023<<52)
	if f > math.Sqrt2 {
		f *= 0.5
		e++
	}
	s := (f - 1) / (f + 1)
	z := s * s
	poly := 1 + z*(1.0/3+z*(1.0/5+z*(1.0/7+z*(1.0/9+z*(1.0/11+z*(1.0/13))))))
	return float64(e)*math.Ln2 + 2*s*poly
}

// clamp01 maps x into [0,1]; NaN maps to 0.
func clamp01(x float64) float64 {
	if !(x >= 0) {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}
