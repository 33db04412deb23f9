package model

import (
	"math"
	"unsafe"
)

// quantActs holds n activation vectors quantised like ggml's Q8_0: per
// block of 32 values a scale s = max|x|/127 and int8 q = round(x/s). The
// scale is stored 8 times so the kernel can load it as a vector.
type quantActs struct {
	n, cols int
	q       []int8
	s       []float32
}

func quantizeActs(x []float32, n, cols int) *quantActs {
	nb := cols / 32
	qa := &quantActs{n: n, cols: cols, q: make([]int8, n*cols), s: make([]float32, n*nb*8)}
	for blk := 0; blk < n*nb; blk++ {
		v := x[blk*32 : blk*32+32]
		var amax float32
		for _, f := range v {
			amax = max(amax, float32(math.Abs(float64(f))))
		}
		d := amax / 127
		id := float32(0)
		if d != 0 {
			id = 1 / d
		}
		for j, f := range v {
			qa.q[blk*32+j] = int8(math.Round(float64(f * id)))
		}
		for j := 0; j < 8; j++ {
			qa.s[blk*8+j] = d
		}
	}
	return qa
}

// rowTimes computes acc[b] for one Q8_0 row against every vector, two at a
// time; Dot1 and Dot2 do identical per-vector arithmetic.
func (qa *quantActs) rowTimes(row []byte, acc []float32) {
	nb := qa.cols / 32
	rp := unsafe.SliceData(row)
	var pair [2]float32
	b := 0
	for ; b+2 <= qa.n; b += 2 {
		q8q8Dot2(rp, &qa.q[b*qa.cols], &qa.q[(b+1)*qa.cols], &qa.s[b*nb*8], &qa.s[(b+1)*nb*8], nb, &pair)
		acc[b], acc[b+1] = pair[0], pair[1]
	}
	if b < qa.n {
		acc[b] = q8q8Dot1(rp, &qa.q[b*qa.cols], &qa.s[b*nb*8], nb)
	}
}
