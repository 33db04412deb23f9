package model

import (
	"math/rand/v2"
	"testing"

	"github.com/bizra/bizra/gpu/gguf"
)

func benchWeight(b *testing.B, typ gguf.TensorType, rows, cols int) *Weight {
	r := rand.New(rand.NewPCG(1, 1))
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	data, err := gguf.Quantize(typ, v)
	if err != nil {
		b.Fatal(err)
	}
	return &Weight{Name: "bench", Type: typ, Rows: rows, Cols: cols, Data: data}
}

// BenchmarkMatMul measures the CPU backend on a 4096x14336 matrix; the
// throughput is in bytes of weights per second.
func BenchmarkMatMul(b *testing.B) {
	for _, typ := range []gguf.TensorType{gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeF16} {
		w := benchWeight(b, typ, 4096, 14336)
		for _, n := range []int{1, 8} {
			x := make([]float32, n*w.Cols)
			for i := range x {
				x[i] = float32(i%7) - 3
			}
			y := make([]float32, n*w.Rows)
			cpu := NewCPU(0)
			b.Run(typ.String()+"/n="+string(rune('0'+n)), func(b *testing.B) {
				b.SetBytes(int64(len(w.Data)))
				for b.Loop() {
					if err := cpu.MatMul(y, w, x, n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
