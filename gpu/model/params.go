package model

import (
	"fmt"

	"github.com/bizra/bizra/gpu/gguf"
)

// Architectures supported by the forward pass.
const (
	ArchLlama = "llama"
	ArchQwen2 = "qwen2"
)

// Params are a model's hyperparameters.
type Params struct {
	Arch     string  // "llama" or "qwen2"
	Vocab    int     // vocabulary size (rows of token_embd)
	Embd     int     // hidden size
	Layers   int     // number of transformer blocks
	FFN      int     // feed-forward inner size
	Heads    int     // query heads
	KVHeads  int     // key/value heads (grouped-query attention)
	HeadDim  int     // Embd / Heads
	Context  int     // maximum positions
	RopeBase float64 // RoPE frequency base
	NormEps  float64 // RMSNorm epsilon
	RopeNeox bool    // NEOX pairing (i, i+d/2) instead of NORM (2i, 2i+1)
}

// KVDim is the width of one position's keys (or values).
func (p Params) KVDim() int { return p.KVHeads * p.HeadDim }

// Validate checks the parameters' consistency.
func (p Params) Validate() error {
	switch {
	case p.Arch != ArchLlama && p.Arch != ArchQwen2:
		return fmt.Errorf("%w: Arch %q", ErrUnsupportedArch, p.Arch)
	case p.Vocab <= 0:
		return fmt.Errorf("%w: Vocab %d", ErrBadModel, p.Vocab)
	case p.Embd <= 0 || p.Heads <= 0 || p.Embd%p.Heads != 0:
		return fmt.Errorf("%w: Embd %d not divisible by Heads %d", ErrBadModel, p.Embd, p.Heads)
	case p.HeadDim%2 != 0 || p.HeadDim != p.Embd/p.Heads:
		return fmt.Errorf("%w: HeadDim %d", ErrBadModel, p.HeadDim)
	case p.KVHeads <= 0 || p.Heads%p.KVHeads != 0:
		return fmt.Errorf("%w: Heads %d not divisible by KVHeads %d", ErrBadModel, p.Heads, p.KVHeads)
	case p.Layers <= 0 || p.FFN <= 0 || p.Context <= 0:
		return fmt.Errorf("%w: Layers %d FFN %d Context %d", ErrBadModel, p.Layers, p.FFN, p.Context)
	case p.RopeBase <= 0 || p.NormEps <= 0:
		return fmt.Errorf("%w: RopeBase %g NormEps %g", ErrBadModel, p.RopeBase, p.NormEps)
	}
	return nil
}

// ReadParams reads hyperparameters from GGUF metadata.
func ReadParams(f *gguf.File) (Params, error) {
	var p Params
	var err error
	if p.Arch, err = f.String("general.architecture"); err != nil {
		return p, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	if p.Arch != ArchLlama && p.Arch != ArchQwen2 {
		return p, fmt.Errorf("%w: %q", ErrUnsupportedArch, p.Arch)
	}
	ints := []struct {
		key string
		dst *int
	}{
		{".embedding_length", &p.Embd}, {".block_count", &p.Layers}, {".feed_forward_length", &p.FFN},
		{".attention.head_count", &p.Heads}, {".context_length", &p.Context},
	}
	for _, kv := range ints {
		v, err := f.Int(p.Arch + kv.key)
		if err != nil {
			return p, fmt.Errorf("%w: %w", ErrBadModel, err)
		}
		if v <= 0 || v > 1<<24 {
			return p, fmt.Errorf("%w: %s%s = %d", ErrBadModel, p.Arch, kv.key, v)
		}
		*kv.dst = int(v)
	}
	p.KVHeads = p.Heads
	if v, err := f.Int(p.Arch + ".attention.head_count_kv"); err == nil {
		p.KVHeads = int(v)
	}
	p.RopeBase = 10000
	if v, err := f.Float(p.Arch + ".rope.freq_base"); err == nil {
		p.RopeBase = v
	}
	p.NormEps = 1e-5
	if v, err := f.Float(p.Arch + ".attention.layer_norm_rms_epsilon"); err == nil {
		p.NormEps = v
	}
	if p.Heads > 0 {
		p.HeadDim = p.Embd / p.Heads
	}
	p.RopeNeox = p.Arch == ArchQwen2
	if t, err := f.Tensor("token_embd.weight"); err == nil && len(t.Dims) == 2 {
		p.Vocab = int(t.Dims[1])
	}
	return p, p.Validate()
}
