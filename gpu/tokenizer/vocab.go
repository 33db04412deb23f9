package tokenizer

import (
	"fmt"

	"github.com/bizra/bizra/gpu/gguf"
)

// Token types, as stored in tokenizer.ggml.token_type.
const (
	TypeNormal      int32 = 1
	TypeUnknown     int32 = 2
	TypeControl     int32 = 3
	TypeUserDefined int32 = 4
	TypeUnused      int32 = 5
	TypeByte        int32 = 6
)

// Model names for tokenizer.ggml.model.
const (
	ModelBPE = "gpt2"
	ModelSPM = "llama"
)

// Vocab is the serialisable description of a tokenizer: exactly the
// tokenizer.ggml.* metadata of a GGUF file.
type Vocab struct {
	Model          string    // "gpt2" or "llama"
	Pre            string    // pre-tokenizer name, e.g. "qwen2" (BPE only)
	Tokens         []string  // token text, indexed by id
	Scores         []float32 // merge priority per token (SPM); optional for BPE
	Types          []int32   // token types (TypeNormal...); optional
	Merges         []string  // "left right" rules in rank order (BPE)
	BOS, EOS       int32     // -1 when absent
	UNK, PAD       int32     // -1 when absent
	AddBOS         bool      // prepend BOS when encoding a prompt
	AddSpacePrefix bool      // SPM: prefix text with a space
	ChatTemplate   string    // tokenizer.chat_template (Jinja source)
}

// Validate checks the vocabulary's internal consistency.
func (v *Vocab) Validate() error {
	n := len(v.Tokens)
	if n == 0 {
		return ErrMissingVocab
	}
	if v.Model != ModelBPE && v.Model != ModelSPM {
		return fmt.Errorf("%w: Model %q", ErrUnsupportedModel, v.Model)
	}
	if len(v.Scores) != 0 && len(v.Scores) != n {
		return fmt.Errorf("%w: Scores has %d entries for %d tokens", ErrInconsistent, len(v.Scores), n)
	}
	if len(v.Types) != 0 && len(v.Types) != n {
		return fmt.Errorf("%w: Types has %d entries for %d tokens", ErrInconsistent, len(v.Types), n)
	}
	for name, id := range map[string]int32{"BOS": v.BOS, "EOS": v.EOS, "UNK": v.UNK, "PAD": v.PAD} {
		if id < -1 || int(id) >= n {
			return fmt.Errorf("%w: %s id %d outside vocabulary of %d", ErrInconsistent, name, id, n)
		}
	}
	return nil
}

// WriteGGUF stores the vocabulary as tokenizer.ggml.* metadata.
func (v *Vocab) WriteGGUF(w *gguf.Writer) {
	w.Set("tokenizer.ggml.model", v.Model)
	if v.Pre != "" {
		w.Set("tokenizer.ggml.pre", v.Pre)
	}
	w.Set("tokenizer.ggml.tokens", v.Tokens)
	if len(v.Scores) > 0 {
		w.Set("tokenizer.ggml.scores", v.Scores)
	}
	if len(v.Types) > 0 {
		w.Set("tokenizer.ggml.token_type", v.Types)
	}
	if len(v.Merges) > 0 {
		w.Set("tokenizer.ggml.merges", v.Merges)
	}
	set := func(key string, id int32) {
		if id >= 0 {
			w.Set(key, uint32(id))
		}
	}
	set("tokenizer.ggml.bos_token_id", v.BOS)
	set("tokenizer.ggml.eos_token_id", v.EOS)
	set("tokenizer.ggml.unknown_token_id", v.UNK)
	set("tokenizer.ggml.padding_token_id", v.PAD)
	w.Set("tokenizer.ggml.add_bos_token", v.AddBOS)
	if v.Model == ModelSPM {
		w.Set("tokenizer.ggml.add_space_prefix", v.AddSpacePrefix)
	}
	if v.ChatTemplate != "" {
		w.Set("tokenizer.chat_template", v.ChatTemplate)
	}
}

// ReadVocab loads the tokenizer.ggml.* metadata of f.
func ReadVocab(f *gguf.File) (*Vocab, error) {
	v := &Vocab{BOS: -1, EOS: -1, UNK: -1, PAD: -1}
	var err error
	if v.Model, err = f.String("tokenizer.ggml.model"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissingVocab, err)
	}
	v.Pre, _ = f.String("tokenizer.ggml.pre")
	toks, err := f.Array("tokenizer.ggml.tokens")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissingVocab, err)
	}
	var ok bool
	if v.Tokens, ok = toks.Values.([]string); !ok {
		return nil, fmt.Errorf("%w: tokenizer.ggml.tokens is an array of %s", ErrInconsistent, toks.Type)
	}
	if a, err := f.Array("tokenizer.ggml.scores"); err == nil {
		if v.Scores, ok = a.Values.([]float32); !ok {
			return nil, fmt.Errorf("%w: tokenizer.ggml.scores is an array of %s", ErrInconsistent, a.Type)
		}
	}
	if a, err := f.Array("tokenizer.ggml.token_type"); err == nil {
		if v.Types, ok = a.Values.([]int32); !ok {
			return nil, fmt.Errorf("%w: tokenizer.ggml.token_type is an array of %s", ErrInconsistent, a.Type)
		}
	}
	if a, err := f.Array("tokenizer.ggml.merges"); err == nil {
		if v.Merges, ok = a.Values.([]string); !ok {
			return nil, fmt.Errorf("%w: tokenizer.ggml.merges is an array of %s", ErrInconsistent, a.Type)
		}
	}
	get := func(key string, dst *int32) {
		if i, err := f.Int(key); err == nil && i >= -1 && i < int64(len(v.Tokens)) {
			*dst = int32(i)
		}
	}
	get("tokenizer.ggml.bos_token_id", &v.BOS)
	get("tokenizer.ggml.eos_token_id", &v.EOS)
	get("tokenizer.ggml.unknown_token_id", &v.UNK)
	get("tokenizer.ggml.padding_token_id", &v.PAD)
	v.AddBOS = v.Model == ModelSPM
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err == nil {
		v.AddBOS = b
	}
	v.AddSpacePrefix = v.Model == ModelSPM
	if b, err := f.Bool("tokenizer.ggml.add_space_prefix"); err == nil {
		v.AddSpacePrefix = b
	}
	v.ChatTemplate, _ = f.String("tokenizer.chat_template")
	return v, v.Validate()
}
