package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// F16ToF32 converts IEEE 754 binary16 bits to float32.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant * 2^-24
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// F32ToF16 converts float32 to binary16 bits with round-to-nearest-even.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - e)
		h := mant >> shift
		rem := mant & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is correct rounding
	}
	return sign | uint16(h)
}

// BF16ToF32 converts bfloat16 bits to float32.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts float32 to bfloat16 with round-to-nearest-even.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// Dequantize decodes src, holding len(dst) elements of type t, into dst.
func Dequantize(t TensorType, src []byte, dst []float32) error {
	bs := t.BlockSize()
	if !t.Supported() || len(dst)%bs != 0 || len(src) != t.RowBytes(len(dst)) {
		return fmt.Errorf("%w: cannot decode %d bytes of %s into %d values", ErrBadTensor, len(src), t, len(dst))
	}
	le := binary.LittleEndian
	switch t {
	case TypeF32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[4*i:]))
		}
	case TypeF16:
		for i := range dst {
			dst[i] = F16ToF32(le.Uint16(src[2*i:]))
		}
	case TypeBF16:
		for i := range dst {
			dst[i] = BF16ToF32(le.Uint16(src[2*i:]))
		}
	case TypeQ8_0:
		for b := 0; b < len(dst)/QK; b++ {
			blk := src[b*BlockBytesQ8_0 : (b+1)*BlockBytesQ8_0]
			d := F16ToF32(le.Uint16(blk))
			out := dst[b*QK : (b+1)*QK]
			for j := range out {
				out[j] = d * float32(int8(blk[2+j]))
			}
		}
	case TypeQ4_0:
		for b := 0; b < len(dst)/QK; b++ {
			blk := src[b*BlockBytesQ4_0 : (b+1)*BlockBytesQ4_0]
			d := F16ToF32(le.Uint16(blk))
			out := dst[b*QK : (b+1)*QK]
			for j := 0; j < QK/2; j++ {
				out[j] = d * float32(int(blk[2+j]&0x0f)-8)
				out[j+QK/2] = d * float32(int(blk[2+j]>>4)-8)
			}
		}
	}
	return nil
}

// Quantize encodes src into type t and returns the bytes. len(src) must be a
// multiple of t's block size. The quantisers follow ggml's reference
// implementations (quantize_row_q8_0_ref, quantize_row_q4_0_ref).
func Quantize(t TensorType, src []float32) ([]byte, error) {
	bs := t.BlockSize()
	if !t.Supported() || len(src)%bs != 0 {
		return nil, fmt.Errorf("%w: cannot encode %d values as %s", ErrBadTensor, len(src), t)
	}
	out := make([]byte, t.RowBytes(len(src)))
	le := binary.LittleEndian
	switch t {
	case TypeF32:
		for i, v := range src {
			le.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case TypeF16:
		for i, v := range src {
			le.PutUint16(out[2*i:], F32ToF16(v))
		}
	case TypeBF16:
		for i, v := range src {
			le.PutUint16(out[2*i:], F32ToBF16(v))
		}
	case TypeQ8_0:
		for b := 0; b < len(src)/QK; b++ {
			x := src[b*QK : (b+1)*QK]
			blk := out[b*BlockBytesQ8_0 : (b+1)*BlockBytesQ8_0]
			var amax float32
			for _, v := range x {
				amax = max(amax, abs32(v))
			}
			d := amax / 127
			id := float32(0)
			if d != 0 {
				id = 1 / d
			}
			le.PutUint16(blk, F32ToF16(d))
			for j, v := range x {
				blk[2+j] = byte(int8(roundHalfAway(v * id)))
			}
		}
	case TypeQ4_0:
		for b := 0; b < len(src)/QK; b++ {
			x := src[b*QK : (b+1)*QK]
			blk := out[b*BlockBytesQ4_0 : (b+1)*BlockBytesQ4_0]
			var amax, mx float32
			for _, v := range x {
				if abs32(v) > amax {
					amax, mx = abs32(v), v
				}
			}
			d := mx / -8
			id := float32(0)
			if d != 0 {
				id = 1 / d
			}
			le.PutUint16(blk, F32ToF16(d))
			for j := 0; j < QK/2; j++ {
				x0 := min(15, int(x[j]*id+8.5))
				x1 := min(15, int(x[j+QK/2]*id+8.5))
				blk[2+j] = byte(x0) | byte(x1)<<4
			}
		}
	}
	return out, nil
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func roundHalfAway(x float32) float32 {
	return float32(math.Round(float64(x)))
}
