package model

// An independent float64 forward pass in the style of llama2.c, with its own
// dequantiser, used as the ground truth for the engine.

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/bizra/bizra/gpu/gguf"
)

type refLayer struct {
	attnNorm, ffnNorm []float64
	wq, wk, wv, wo    [][]float64
	bq, bk, bv        []float64
	gate, up, down    [][]float64
}

type refModel struct {
	dim, hidden, layers, heads, kvHeads, vocab, headDim int
	eps, base                                           float64
	neox                                                bool
	embd, out                                           [][]float64
	outNorm                                             []float64
	ls                                                  []refLayer
}

func refHalf(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 31
	m := float64(h & 0x3ff)
	if e == 0 {
		return sign * m * math.Pow(2, -24)
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

// refDequant decodes a tensor's raw bytes without using package gguf's
// decoders.
func refDequant(t *gguf.Tensor) []float64 {
	n := t.NumElements()
	out := make([]float64, n)
	b := t.Data
	le := binary.LittleEndian
	switch t.Type {
	case gguf.TypeF32:
		for i := range out {
			out[i] = float64(math.Float32frombits(le.Uint32(b[4*i:])))
		}
	case gguf.TypeF16:
		for i := range out {
			out[i] = refHalf(le.Uint16(b[2*i:]))
		}
	case gguf.TypeBF16:
		for i := range out {
			out[i] = float64(math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16))
		}
	case gguf.TypeQ8_0:
		for blk := 0; blk < n/32; blk++ {
			p := b[blk*34:]
			d := refHalf(le.Uint16(p))
			for j := 0; j < 32; j++ {
				out[blk*32+j] = d * float64(int8(p[2+j]))
			}
		}
	case gguf.TypeQ4_0:
		for blk := 0; blk < n/32; blk++ {
			p := b[blk*18:]
			d := refHalf(le.Uint16(p))
			for j := 0; j < 16; j++ {
				out[blk*32+j] = d * float64(int(p[2+j]&15)-8)
				out[blk*32+j+16] = d * float64(int(p[2+j]>>4)-8)
			}
		}
	default:
		panic("reference: unsupported type " + t.Type.String())
	}
	return out
}

func refMatrix(t testing.TB, f *gguf.File, name string) [][]float64 {
	tt, err := f.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	flat := refDequant(tt)
	cols := int(tt.Dims[0])
	rows := len(flat) / cols
	m := make([][]float64, rows)
	for r := range m {
		m[r] = flat[r*cols : (r+1)*cols]
	}
	return m
}

func refVector(t testing.TB, f *gguf.File, name string) []float64 {
	tt, err := f.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return refDequant(tt)
}

func loadRef(t testing.TB, f *gguf.File) *refModel {
	arch, _ := f.String("general.architecture")
	geti := func(k string) int {
		v, err := f.Int(arch + "." + k)
		if err != nil {
			t.Fatal(err)
		}
		return int(v)
	}
	r := &refModel{dim: geti("embedding_length"), hidden: geti("feed_forward_length"), layers: geti("block_count"),
		heads: geti("attention.head_count"), kvHeads: geti("attention.head_count_kv"), neox: arch == "qwen2"}
	r.eps, _ = f.Float(arch + ".attention.layer_norm_rms_epsilon")
	r.base, _ = f.Float(arch + ".rope.freq_base")
	r.headDim = r.dim / r.heads
	r.embd = refMatrix(t, f, "token_embd.weight")
	r.vocab = len(r.embd)
	r.outNorm = refVector(t, f, "output_norm.weight")
	if _, err := f.Tensor("output.weight"); err == nil {
		r.out = refMatrix(t, f, "output.weight")
	} else {
		r.out = r.embd
	}
	for l := 0; l < r.layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		L := refLayer{
			attnNorm: refVector(t, f, p+"attn_norm.weight"), ffnNorm: refVector(t, f, p+"ffn_norm.weight"),
			wq: refMatrix(t, f, p+"attn_q.weight"), wk: refMatrix(t, f, p+"attn_k.weight"),
			wv: refMatrix(t, f, p+"attn_v.weight"), wo: refMatrix(t, f, p+"attn_output.weight"),
			gate: refMatrix(t, f, p+"ffn_gate.weight"), up: refMatrix(t, f, p+"ffn_up.weight"), down: refMatrix(t, f, p+"ffn_down.weight"),
		}
		if arch == "qwen2" {
			L.bq, L.bk, L.bv = refVector(t, f, p+"attn_q.bias"), refVector(t, f, p+"attn_k.bias"), refVector(t, f, p+"attn_v.bias")
		}
		r.ls = append(r.ls, L)
	}
	return r
}

func refMatVec(w [][]float64, x []float64) []float64 {
	out := make([]float64, len(w))
	for i, row := range w {
		var s float64
		for j, v := range row {
			s += v * x[j]
		}
		out[i] = s
	}
	return out
}

func refRMSNorm(x, w []float64, eps float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	s := 1 / math.Sqrt(ss/float64(len(x))+eps)
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] * s * w[i]
	}
	return out
}

func refRope(v []float64, pos, headDim int, base float64, neox bool) {
	for h := 0; h < len(v); h += headDim {
		for i := 0; i < headDim/2; i++ {
			theta := float64(pos) / math.Pow(base, float64(2*i)/float64(headDim))
			a, b := h+2*i, h+2*i+1
			if neox {
				a, b = h+i, h+i+headDim/2
			}
			c, s := math.Cos(theta), math.Sin(theta)
			v[a], v[b] = v[a]*c-v[b]*s, v[a]*s+v[b]*c
		}
	}
}

// forward returns the logits after each token of toks.
func (r *refModel) forward(toks []int) [][]float64 {
	kc := make([][][]float64, r.layers)
	vc := make([][][]float64, r.layers)
	var all [][]float64
	for pos, tok := range toks {
		x := append([]float64(nil), r.embd[tok]...)
		for l, L := range r.ls {
			xb := refRMSNorm(x, L.attnNorm, r.eps)
			q, k, v := refMatVec(L.wq, xb), refMatVec(L.wk, xb), refMatVec(L.wv, xb)
			if L.bq != nil {
				for i := range q {
					q[i] += L.bq[i]
				}
				for i := range k {
					k[i] += L.bk[i]
					v[i] += L.bv[i]
				}
			}
			refRope(q, pos, r.headDim, r.base, r.neox)
			refRope(k, pos, r.headDim, r.base, r.neox)
			kc[l] = append(kc[l], k)
			vc[l] = append(vc[l], v)
			att := make([]float64, r.dim)
			for h := 0; h < r.heads; h++ {
				kvh := h / (r.heads / r.kvHeads)
				qh := q[h*r.headDim : (h+1)*r.headDim]
				sc := make([]float64, pos+1)
				mx := math.Inf(-1)
				for t := 0; t <= pos; t++ {
					var s float64
					for d := 0; d < r.headDim; d++ {
						s += qh[d] * kc[l][t][kvh*r.headDim+d]
					}
					sc[t] = s / math.Sqrt(float64(r.headDim))
					mx = math.Max(mx, sc[t])
				}
				var sum float64
				for t := range sc {
					sc[t] = math.Exp(sc[t] - mx)
					sum += sc[t]
				}
				for t := range sc {
					for d := 0; d < r.headDim; d++ {
						att[h*r.headDim+d] += sc[t] / sum * vc[l][t][kvh*r.headDim+d]
					}
				}
			}
			o := refMatVec(L.wo, att)
			for i := range x {
				x[i] += o[i]
			}
			xb = refRMSNorm(x, L.ffnNorm, r.eps)
			g, u := refMatVec(L.gate, xb), refMatVec(L.up, xb)
			for i := range g {
				g[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
			d := refMatVec(L.down, g)
			for i := range x {
				x[i] += d[i]
			}
		}
		all = append(all, refMatVec(r.out, refRMSNorm(x, r.outNorm, r.eps)))
	}
	return all
}
