package model

import "math"

// RMSNorm writes x / sqrt(mean(x^2) + eps) * w into dst.
func RMSNorm(dst, x, w []float32, eps float64) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	scale := float32(1 / math.Sqrt(ss/float64(len(x))+eps))
	for i, v := range x {
		dst[i] = v * scale * w[i]
	}
}

// Softmax normalises x in place.
func Softmax(x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// silu is x * sigmoid(x).
func silu(x float32) float32 {
	return x / (1 + float32(math.Exp(float64(-x))))
}
