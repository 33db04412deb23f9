package model

import (
	"fmt"
	"sync"

	"github.com/bizra/bizra/gpu/gguf"
	"github.com/bizra/bizra/gpu/tokenizer"
)

// Layer holds one transformer block's weights.
type Layer struct {
	AttnNorm       []float32
	Q, K, V, O     *Weight
	QB, KB, VB     []float32 // qwen2 biases; nil for llama
	FFNNorm        []float32
	Gate, Up, Down *Weight
}

// Model is a loaded llama or qwen2 model. Forward is safe for concurrent use
// on distinct sequences only if the backend is; the pool serialises steps.
type Model struct {
	P       Params
	Tok     *tokenizer.Tokenizer
	Embd    *Weight // token_embd: Vocab rows of Embd
	Layers  []Layer
	OutNorm []float32
	Out     *Weight // output projection; == Embd when tied
	Tied    bool

	be        Backend
	file      *gguf.File
	closeOnce sync.Once
}

// Backend returns the backend the model computes matmuls with.
func (m *Model) Backend() Backend { return m.be }

// WeightBytes is the size of all matrices read for one token.
func (m *Model) WeightBytes() int64 {
	var n int64
	for _, l := range m.Layers {
		for _, w := range []*Weight{l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down} {
			n += int64(w.Bytes())
		}
	}
	return n + int64(m.Out.Bytes())
}

// Weights lists every matrix (for backends that upload them).
func (m *Model) Weights() []*Weight {
	var ws []*Weight
	for _, l := range m.Layers {
		ws = append(ws, l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down)
	}
	return append(ws, m.Out)
}

// Load opens a GGUF file (memory-mapped) and builds the model. A nil
// backend means the CPU backend. Close releases the file and the backend.
func Load(path string, be Backend) (*Model, error) {
	return LoadProgress(path, be, nil)
}

// LoadProgress is Load that first reads the mapped tensor data into memory
// (so the first request does not stall on page faults), calling progress
// with bytes done and total along the way (for a progress bar).
func LoadProgress(path string, be Backend, progress func(done, total int64)) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		prefault(f, progress)
	}
	m, err := FromGGUF(f, be)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.file = f
	return m, nil
}

// FromGGUF builds a model over an already parsed file, which must outlive
// the model.
func FromGGUF(f *gguf.File, be Backend) (*Model, error) {
	p, err := ReadParams(f)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != p.Vocab {
		return nil, fmt.Errorf("%w: %d tokens but token_embd has %d rows", ErrBadModel, tok.VocabSize(), p.Vocab)
	}
	if be == nil {
		be = NewCPU(0)
	}
	m := &Model{P: p, Tok: tok, be: be}
	tensor := func(name string) (*gguf.Tensor, error) {
		t, err := f.Tensor(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
		}
		return t, nil
	}
	mat := func(name string, rows, cols int) (*Weight, error) {
		t, err := tensor(name)
		if err != nil {
			return nil, err
		}
		return weightFrom(t, rows, cols)
	}
	vec := func(name string, n int) ([]float32, error) {
		t, err := tensor(name)
		if err != nil {
			return nil, err
		}
		return vectorFrom(t, n)
	}
	kv := p.KVDim()
	if m.Embd, err = mat("token_embd.weight", p.Vocab, p.Embd); err != nil {
		return nil, err
	}
	if m.OutNorm, err = vec("output_norm.weight", p.Embd); err != nil {
		return nil, err
	}
	if _, err := f.Tensor("output.weight"); err == nil {
		if m.Out, err = mat("output.weight", p.Vocab, p.Embd); err != nil {
			return nil, err
		}
	} else {
		m.Out, m.Tied = m.Embd, true
	}
	m.Layers = make([]Layer, p.Layers)
	for i := range m.Layers {
		l := &m.Layers[i]
		pre := fmt.Sprintf("blk.%d.", i)
		steps := []func() error{
			func() (err error) { l.AttnNorm, err = vec(pre+"attn_norm.weight", p.Embd); return },
			func() (err error) { l.Q, err = mat(pre+"attn_q.weight", p.Embd, p.Embd); return },
			func() (err error) { l.K, err = mat(pre+"attn_k.weight", kv, p.Embd); return },
			func() (err error) { l.V, err = mat(pre+"attn_v.weight", kv, p.Embd); return },
			func() (err error) { l.O, err = mat(pre+"attn_output.weight", p.Embd, p.Embd); return },
			func() (err error) { l.FFNNorm, err = vec(pre+"ffn_norm.weight", p.Embd); return },
			func() (err error) { l.Gate, err = mat(pre+"ffn_gate.weight", p.FFN, p.Embd); return },
			func() (err error) { l.Up, err = mat(pre+"ffn_up.weight", p.FFN, p.Embd); return },
			func() (err error) { l.Down, err = mat(pre+"ffn_down.weight", p.Embd, p.FFN); return },
		}
		if p.Arch == ArchQwen2 {
			steps = append(steps,
				func() (err error) { l.QB, err = vec(pre+"attn_q.bias", p.Embd); return },
				func() (err error) { l.KB, err = vec(pre+"attn_k.bias", kv); return },
				func() (err error) { l.VB, err = vec(pre+"attn_v.bias", kv); return },
			)
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return nil, err
			}
		}
	}
	if pr, ok := be.(interface{ Prepare(*Model) error }); ok {
		if err := pr.Prepare(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Close releases the backend and the memory-mapped file; safe to call
// twice.
func (m *Model) Close() error {
	var err error
	m.closeOnce.Do(func() {
		err = m.be.Close()
		if m.file != nil {
			if e := m.file.Close(); err == nil {
				err = e
			}
		}
	})
	return err
}

// prefault touches one byte per page of every tensor, in file order.
func prefault(f *gguf.File, progress func(done, total int64)) {
	var total, done int64
	for i := range f.Tensors {
		total += int64(len(f.Tensors[i].Data))
	}
	const page = 4096
	var sink byte
	next := int64(0)
	for i := range f.Tensors {
		d := f.Tensors[i].Data
		for j := 0; j < len(d); j += page {
			sink += d[j]
		}
		done += int64(len(d))
		if done >= next || done == total {
			progress(done, total)
			next = done + total/100
		}
	}
	_ = sink
}
