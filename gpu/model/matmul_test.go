package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bizra/bizra/gpu/gguf"
)

// TestKernelsAgree checks the SIMD kernels (when the CPU has them) against
// the portable code and a float64 dot product, and that a vector's result
// does not depend on the batch it is computed in.
func TestKernelsAgree(t *testing.T) {
	if !useSIMD {
		t.Log("no SIMD kernels on this CPU; checking the portable path only")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const cols = 32 * 7
	for _, typ := range []gguf.TensorType{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0, gguf.TypeQ4_0} {
		w := make([]float32, cols)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		row, _ := gguf.Quantize(typ, w)
		deq := make([]float32, cols)
		_ = gguf.Dequantize(typ, row, deq)
		const n = 5
		x := make([]float32, n*cols)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		got := make([]float32, n)
		rowTimes(typ, row, x, cols, n, got)
		port := make([]float32, n)
		rowTimesGo(typ, row, x, cols, n, port)
		for b := 0; b < n; b++ {
			var want float64
			for c := 0; c < cols; c++ {
				want += float64(deq[c]) * float64(x[b*cols+c])
			}
			if math.Abs(float64(got[b])-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Errorf("%s vector %d: %g, float64 %g", typ, b, got[b], want)
			}
			if math.Abs(float64(port[b])-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Errorf("%s vector %d: portable %g, float64 %g", typ, b, port[b], want)
			}
			one := make([]float32, 1)
			rowTimes(typ, row, x[b*cols:(b+1)*cols], cols, 1, one)
			if one[0] != got[b] {
				t.Errorf("%s vector %d: alone %g, in batch %g", typ, b, one[0], got[b])
			}
		}
	}
}

// TestQuantisedActivationKernel checks the int8 kernel against exact
// integer arithmetic on the same quantised values, and that a vector's
// result does not depend on its batch.
func TestQuantisedActivationKernel(t *testing.T) {
	if !useSIMD {
		t.Skip("no SIMD kernels on this CPU; quantised activations are not used")
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for _, cols := range []int{32, 32 * 6, 32 * 7} { // even and odd block counts
		w := make([]float32, cols)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		w[3] = -100 // an extreme weight still quantises within range
		row, _ := gguf.Quantize(gguf.TypeQ8_0, w)
		const n = 5
		x := make([]float32, n*cols)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		qa := quantizeActs(x, n, cols)
		got := make([]float32, n)
		qa.rowTimes(row, got)
		for b := 0; b < n; b++ {
			var want float64
			for k := 0; k < cols/32; k++ {
				blk := row[k*34:]
				dw := float64(gguf.F16ToF32(uint16(blk[0]) | uint16(blk[1])<<8))
				var isum int64
				for j := 0; j < 32; j++ {
					isum += int64(int8(blk[2+j])) * int64(qa.q[b*cols+k*32+j])
				}
				want += dw * float64(qa.s[(b*cols/32+k)*8]) * float64(isum)
			}
			if math.Abs(float64(got[b])-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("cols %d vector %d: %g, exact %g", cols, b, got[b], want)
			}
			one := quantizeActs(x[b*cols:(b+1)*cols], 1, cols)
			r := make([]float32, 1)
			one.rowTimes(row, r)
			if r[0] != got[b] {
				t.Errorf("cols %d vector %d: alone %g, in batch %g", cols, b, r[0], got[b])
			}
		}
	}
}
