package model

import "math"

// RopeTable holds cos/sin of the rotation angles for one position:
// angle i = pos * base^(-2i/headDim) for i < headDim/2.
type RopeTable struct {
	Cos, Sin []float32
}

// NewRopeTable computes the table for pos.
func NewRopeTable(pos, headDim int, base float64) RopeTable {
	half := headDim / 2
	t := RopeTable{Cos: make([]float32, half), Sin: make([]float32, half)}
	t.Fill(pos, base)
	return t
}

// Fill recomputes the table for pos in place.
func (t RopeTable) Fill(pos int, base float64) {
	half := len(t.Cos)
	for i := 0; i < half; i++ {
		theta := float64(pos) * math.Pow(base, -float64(2*i)/float64(2*half))
		t.Cos[i] = float32(math.Cos(theta))
		t.Sin[i] = float32(math.Sin(theta))
	}
}

// ApplyRoPE rotates each head of vec (heads of len(t.Cos)*2 values) in
// place. NORM pairing (llama) rotates (2i, 2i+1); NEOX pairing (qwen2)
// rotates (i, i+headDim/2).
func ApplyRoPE(vec []float32, t RopeTable, neox bool) {
	half := len(t.Cos)
	hd := 2 * half
	for h := 0; h+hd <= len(vec); h += hd {
		v := vec[h : h+hd]
		for i := 0; i < half; i++ {
			a, b := 2*i, 2*i+1
			if neox {
				a, b = i, i+half
			}
			x0, x1 := v[a], v[b]
			v[a] = x0*t.Cos[i] - x1*t.Sin[i]
			v[b] = x0*t.Sin[i] + x1*t.Cos[i]
		}
	}
}
