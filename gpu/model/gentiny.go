package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/bizra/bizra/gpu/gguf"
	"github.com/bizra/bizra/gpu/tokenizer"
)

// Dimension presets for GenTiny.
const (
	DimsTiny    = "tiny"     // a few hundred KB; for tests
	DimsQwen05B = "qwen0.5b" // Qwen2.5-0.5B's shapes (~530 MB as q8_0); for benchmarks
	DimsSmall   = "small"    // between the two; for quick demos
)

// genMerges is the number of BPE merges learned for generated vocabularies.
const genMerges = 300

// GenConfig describes a random-weight model for GenTiny.
type GenConfig struct {
	// Arch is "llama" (SentencePiece vocabulary, NORM RoPE, untied output)
	// or "qwen2" (byte-level BPE, NEOX RoPE, q/k/v biases, tied output).
	Arch string
	// Quant is the matrix type: "f32", "f16", "bf16", "q8_0" or "q4_0".
	// Norms and biases are always F32.
	Quant string
	// Dims is a preset: "tiny", "small" or "qwen0.5b". The learned
	// vocabulary has about 560 tokens; qwen0.5b pads it with unused tokens
	// to Qwen2.5's 151936 rows, which generation never samples.
	Dims string
	// Seed selects the random weights. The underlying float weights depend
	// only on Arch, Dims and Seed, so models differing only in Quant hold
	// quantisations of the same numbers.
	Seed uint64
	// Tied overrides the architecture's default output tying when set.
	Tied *bool
}

// DefaultGenConfig is a tiny qwen2 model with f32 weights.
func DefaultGenConfig() GenConfig {
	return GenConfig{Arch: ArchQwen2, Quant: "f32", Dims: DimsTiny, Seed: 1}
}

// Validate checks the fields.
func (c GenConfig) Validate() error {
	if c.Arch != ArchLlama && c.Arch != ArchQwen2 {
		return fmt.Errorf("%w: Arch %q (want llama or qwen2)", ErrBadConfig, c.Arch)
	}
	if _, err := gguf.ParseTensorType(c.Quant); err != nil {
		return fmt.Errorf("%w: Quant %q (want f32, f16, bf16, q8_0 or q4_0)", ErrBadConfig, c.Quant)
	}
	if _, err := presetParams(c.Arch, c.Dims); err != nil {
		return err
	}
	return nil
}

func presetParams(arch, dims string) (Params, error) {
	p := Params{Arch: arch, RopeNeox: arch == ArchQwen2}
	switch dims {
	case DimsTiny:
		p.Embd, p.Layers, p.FFN, p.Heads, p.KVHeads, p.Context = 64, 2, 128, 4, 2, 256
		p.RopeBase, p.NormEps = 10000, 1e-5
	case DimsSmall:
		p.Embd, p.Layers, p.FFN, p.Heads, p.KVHeads, p.Context = 256, 4, 768, 8, 2, 1024
		p.RopeBase, p.NormEps = 10000, 1e-5
	case DimsQwen05B:
		p.Embd, p.Layers, p.FFN, p.Heads, p.KVHeads, p.Context = 896, 24, 4864, 14, 2, 32768
		p.RopeBase, p.NormEps, p.Vocab = 1e6, 1e-6, 151936
	default:
		return p, fmt.Errorf("%w: Dims %q (want tiny, small or qwen0.5b)", ErrBadConfig, dims)
	}
	p.HeadDim = p.Embd / p.Heads
	return p, nil
}

// GenVocab builds the vocabulary GenTiny uses for arch, padded to padTo.
func GenVocab(arch string, padTo int) *tokenizer.Vocab {
	if arch == ArchLlama {
		return tokenizer.TrainSPM(tokenizer.SampleText, genMerges, padTo)
	}
	return tokenizer.TrainBPE(tokenizer.SampleText, genMerges, padTo)
}

// GenTiny writes a valid random-weight model to path.
func GenTiny(path string, cfg GenConfig) error {
	w, err := GenWriter(cfg)
	if err != nil {
		return err
	}
	return w.WriteFile(path)
}

// GenWriter builds the GGUF writer for a random-weight model.
func GenWriter(cfg GenConfig) (*gguf.Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, _ := presetParams(cfg.Arch, cfg.Dims)
	qt, _ := gguf.ParseTensorType(cfg.Quant)
	vocab := GenVocab(cfg.Arch, p.Vocab)
	p.Vocab = len(vocab.Tokens)
	tied := cfg.Arch == ArchQwen2
	if cfg.Tied != nil {
		tied = *cfg.Tied
	}
	w := gguf.NewWriter()
	a := cfg.Arch
	w.Set("general.architecture", a)
	w.Set("general.name", fmt.Sprintf("bizra-random-%s-%s-%s", a, cfg.Dims, cfg.Quant))
	w.Set(a+".context_length", uint32(p.Context))
	w.Set(a+".embedding_length", uint32(p.Embd))
	w.Set(a+".block_count", uint32(p.Layers))
	w.Set(a+".feed_forward_length", uint32(p.FFN))
	w.Set(a+".attention.head_count", uint32(p.Heads))
	w.Set(a+".attention.head_count_kv", uint32(p.KVHeads))
	w.Set(a+".rope.dimension_count", uint32(p.HeadDim))
	w.Set(a+".rope.freq_base", float32(p.RopeBase))
	w.Set(a+".attention.layer_norm_rms_epsilon", float32(p.NormEps))
	vocab.WriteGGUF(w)

	// Each tensor draws from its own stream so values do not depend on the
	// order tensors are written or on the quantisation.
	stream := uint64(0)
	rnd := func() *rand.Rand {
		stream++
		return rand.New(rand.NewPCG(cfg.Seed, stream))
	}
	matrix := func(name string, rows, cols int) {
		r := rnd()
		std := 1 / math.Sqrt(float64(cols))
		v := make([]float32, rows*cols)
		for i := range v {
			v[i] = float32(r.NormFloat64() * std)
		}
		w.AddFloat32(name, qt, []uint64{uint64(cols), uint64(rows)}, v)
	}
	vector := func(name string, n int, mean, std float64) {
		r := rnd()
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(mean + r.NormFloat64()*std)
		}
		w.AddFloat32(name, gguf.TypeF32, []uint64{uint64(n)}, v)
	}
	// Embedding rows have norm about 2, so tied logits spread over a few
	// units like a trained model's rather than saturating the softmax.
	{
		r := rnd()
		std := 2 / math.Sqrt(float64(p.Embd))
		v := make([]float32, p.Vocab*p.Embd)
		for i := range v {
			v[i] = float32(r.NormFloat64() * std)
		}
		w.AddFloat32("token_embd.weight", qt, []uint64{uint64(p.Embd), uint64(p.Vocab)}, v)
	}
	kv := p.KVDim()
	for i := 0; i < p.Layers; i++ {
		pre := fmt.Sprintf("blk.%d.", i)
		vector(pre+"attn_norm.weight", p.Embd, 1, 0.1)
		matrix(pre+"attn_q.weight", p.Embd, p.Embd)
		matrix(pre+"attn_k.weight", kv, p.Embd)
		matrix(pre+"attn_v.weight", kv, p.Embd)
		if a == ArchQwen2 {
			vector(pre+"attn_q.bias", p.Embd, 0, 0.1)
			vector(pre+"attn_k.bias", kv, 0, 0.1)
			vector(pre+"attn_v.bias", kv, 0, 0.1)
		}
		matrix(pre+"attn_output.weight", p.Embd, p.Embd)
		vector(pre+"ffn_norm.weight", p.Embd, 1, 0.1)
		matrix(pre+"ffn_gate.weight", p.FFN, p.Embd)
		matrix(pre+"ffn_up.weight", p.FFN, p.Embd)
		matrix(pre+"ffn_down.weight", p.Embd, p.FFN)
	}
	vector("output_norm.weight", p.Embd, 1, 0.1)
	if !tied {
		// Scaled up so logits spread over a few units, like a trained model.
		r := rnd()
		std := 3 / math.Sqrt(float64(p.Embd))
		v := make([]float32, p.Vocab*p.Embd)
		for i := range v {
			v[i] = float32(r.NormFloat64() * std)
		}
		w.AddFloat32("output.weight", qt, []uint64{uint64(p.Embd), uint64(p.Vocab)}, v)
	}
	return w, nil
}
