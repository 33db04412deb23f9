package model

import (
	"encoding/binary"
	"unsafe"

	"github.com/bizra/bizra/gpu/gguf"
)

// f16Table maps every float16 bit pattern to float32.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = gguf.F16ToF32(uint16(i))
	}
	return &t
}()

// dot32 is the dot product of two 32-element blocks with four partial sums.
func dot32(a, b []float32) float32 {
	a = a[:32]
	b = b[:32]
	var s0, s1, s2, s3 float32
	for i := 0; i < 32; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotN is the dot product of equal-length slices (any length).
func dotN(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotQ8 is sum q[j]*x[j] over a 32-value block.
func dotQ8(q []byte, x []float32) float32 {
	q = q[:32]
	x = x[:32]
	var s0, s1, s2, s3 float32
	for i := 0; i < 32; i += 4 {
		s0 += float32(int8(q[i])) * x[i]
		s1 += float32(int8(q[i+1])) * x[i+1]
		s2 += float32(int8(q[i+2])) * x[i+2]
		s3 += float32(int8(q[i+3])) * x[i+3]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotQ4 is sum (nibble-8)*x over a Q4_0 block's 16 packed bytes.
func dotQ4(q []byte, x []float32) float32 {
	q = q[:16]
	x = x[:32]
	var s0, s1, s2, s3 float32
	for i := 0; i < 16; i += 2 {
		s0 += float32(int(q[i]&15)-8) * x[i]
		s1 += float32(int(q[i]>>4)-8) * x[i+16]
		s2 += float32(int(q[i+1]&15)-8) * x[i+1]
		s3 += float32(int(q[i+1]>>4)-8) * x[i+17]
	}
	return (s0 + s1) + (s2 + s3)
}

// rowTimes computes, for one encoded row, acc[b] = dot(row, x_b) for the n
// vectors x_b = x[b*cols:(b+1)*cols]. Work is blocked by 32 columns and the
// arithmetic for each b is independent of n, so batched and single results
// are bit-identical.
func rowTimes(t gguf.TensorType, row []byte, x []float32, cols, n int, acc []float32) {
	if useSIMD && cols%32 == 0 && t != gguf.TypeBF16 {
		rowTimesSIMD(t, row, x, cols, n, acc)
		return
	}
	rowTimesGo(t, row, x, cols, n, acc)
}

// rowTimesGo is the portable implementation of rowTimes.
func rowTimesGo(t gguf.TensorType, row []byte, x []float32, cols, n int, acc []float32) {
	for b := 0; b < n; b++ {
		acc[b] = 0
	}
	nb := cols / 32
	le := binary.LittleEndian
	switch t {
	case gguf.TypeF32:
		w := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(row))), cols)
		for k := 0; k < nb; k++ {
			wb := w[k*32 : k*32+32]
			for b := 0; b < n; b++ {
				acc[b] += dot32(wb, x[b*cols+k*32:])
			}
		}
		if r := cols % 32; r != 0 {
			for b := 0; b < n; b++ {
				acc[b] += dotN(w[nb*32:], x[b*cols+nb*32:(b+1)*cols])
			}
		}
	case gguf.TypeF16, gguf.TypeBF16:
		var buf [32]float32
		decode := func(k, m int) {
			for j := 0; j < m; j++ {
				h := le.Uint16(row[2*(k*32+j):])
				if t == gguf.TypeF16 {
					buf[j] = f16Table[h]
				} else {
					buf[j] = gguf.BF16ToF32(h)
				}
			}
		}
		for k := 0; k < nb; k++ {
			decode(k, 32)
			for b := 0; b < n; b++ {
				acc[b] += dot32(buf[:], x[b*cols+k*32:])
			}
		}
		if r := cols % 32; r != 0 {
			decode(nb, r)
			for b := 0; b < n; b++ {
				acc[b] += dotN(buf[:r], x[b*cols+nb*32:(b+1)*cols])
			}
		}
	case gguf.TypeQ8_0:
		for k := 0; k < nb; k++ {
			blk := row[k*gguf.BlockBytesQ8_0:]
			d := f16Table[le.Uint16(blk)]
			for b := 0; b < n; b++ {
				acc[b] += d * dotQ8(blk[2:], x[b*cols+k*32:])
			}
		}
	case gguf.TypeQ4_0:
		for k := 0; k < nb; k++ {
			blk := row[k*gguf.BlockBytesQ4_0:]
			d := f16Table[le.Uint16(blk)]
			for b := 0; b < n; b++ {
				acc[b] += d * dotQ4(blk[2:], x[b*cols+k*32:])
			}
		}
	}
}

// rowTimesSIMD is rowTimes using the assembly kernels: vectors are taken in
// pairs (the row is decoded once per pair) and an odd one alone; both
// kernels do identical per-vector arithmetic.
func rowTimesSIMD(t gguf.TensorType, row []byte, x []float32, cols, n int, acc []float32) {
	nb := cols / 32
	rp := unsafe.SliceData(row)
	var pair [2]float32
	b := 0
	for ; b+2 <= n; b += 2 {
		x0, x1 := &x[b*cols], &x[(b+1)*cols]
		switch t {
		case gguf.TypeQ8_0:
			q8Dot2(rp, x0, x1, nb, &pair)
		case gguf.TypeQ4_0:
			q4Dot2(rp, x0, x1, nb, &pair)
		case gguf.TypeF16:
			f16Dot2(rp, x0, x1, nb, &pair)
		case gguf.TypeF32:
			f32Dot2((*float32)(unsafe.Pointer(rp)), x0, x1, nb, &pair)
		}
		acc[b], acc[b+1] = pair[0], pair[1]
	}
	if b < n {
		x0 := &x[b*cols]
		switch t {
		case gguf.TypeQ8_0:
			acc[b] = q8Dot1(rp, x0, nb)
		case gguf.TypeQ4_0:
			acc[b] = q4Dot1(rp, x0, nb)
		case gguf.TypeF16:
			acc[b] = f16Dot1(rp, x0, nb)
		case gguf.TypeF32:
			acc[b] = f32Dot1((*float32)(unsafe.Pointer(rp)), x0, nb)
		}
	}
}
