package tokenizer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bizra/bizra/gpu/gguf"
)

// Tokenizer encodes and decodes text for one vocabulary. It is immutable
// after construction and safe for concurrent use.
type Tokenizer struct {
	v         Vocab
	index     map[string]int
	mergeRank map[string]int
	specials  []string // special token texts, longest first
	byteIDs   [256]int // SPM byte-fallback ids, -1 when absent
	eog       map[int]bool
	unused    []int // ids of TypeUnused tokens
}

// EncodeOptions controls Encode.
type EncodeOptions struct {
	// AddBOS prepends the BOS token when the vocabulary has one.
	AddBOS bool
	// ParseSpecial matches control and user-defined token texts literally
	// (e.g. "<|im_start|>") instead of tokenizing their characters.
	ParseSpecial bool
}

// New builds a tokenizer from a vocabulary.
func New(v *Vocab) (*Tokenizer, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	t := &Tokenizer{v: *v, index: make(map[string]int, len(v.Tokens)), eog: map[int]bool{}}
	for id, s := range v.Tokens {
		if _, dup := t.index[s]; !dup {
			t.index[s] = id
		}
	}
	if v.Model == ModelBPE {
		t.mergeRank = make(map[string]int, len(v.Merges))
		for rank, m := range v.Merges {
			if _, _, ok := splitMerge(m); !ok {
				return nil, fmt.Errorf("%w: %q at rank %d", ErrBadMerge, m, rank)
			}
			if _, dup := t.mergeRank[m]; !dup {
				t.mergeRank[m] = rank
			}
		}
	}
	for i := range t.byteIDs {
		t.byteIDs[i] = -1
	}
	for id, s := range v.Tokens {
		typ := t.typ(id)
		if typ == TypeControl || typ == TypeUserDefined {
			if s != "" {
				t.specials = append(t.specials, s)
			}
		}
		if typ == TypeUnused {
			t.unused = append(t.unused, id)
		}
		if b, ok := byteToken(s); ok && (typ == TypeByte || len(v.Types) == 0) {
			t.byteIDs[b] = id
		}
	}
	sort.Slice(t.specials, func(i, j int) bool {
		if len(t.specials[i]) != len(t.specials[j]) {
			return len(t.specials[i]) > len(t.specials[j])
		}
		return t.specials[i] < t.specials[j]
	})
	if v.EOS >= 0 {
		t.eog[int(v.EOS)] = true
	}
	for _, s := range []string{"<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "</s>"} {
		if id, ok := t.index[s]; ok && (t.typ(id) == TypeControl || t.typ(id) == TypeUserDefined) {
			t.eog[id] = true
		}
	}
	return t, nil
}

// FromGGUF builds the tokenizer described by f's metadata.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v, err := ReadVocab(f)
	if err != nil {
		return nil, err
	}
	return New(v)
}

func (t *Tokenizer) typ(id int) int32 {
	if id < len(t.v.Types) {
		return t.v.Types[id]
	}
	return TypeNormal
}

// Vocab returns a copy of the vocabulary description.
func (t *Tokenizer) Vocab() Vocab { return t.v }

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.v.Tokens) }

// BOS returns the BOS id or -1.
func (t *Tokenizer) BOS() int { return int(t.v.BOS) }

// EOS returns the EOS id or -1.
func (t *Tokenizer) EOS() int { return int(t.v.EOS) }

// AddBOS reports whether prompts should start with BOS.
func (t *Tokenizer) AddBOS() bool { return t.v.AddBOS && t.v.BOS >= 0 }

// Unused returns the ids of unused (padding) tokens, which a model should
// never generate. The slice must not be modified.
func (t *Tokenizer) Unused() []int { return t.unused }

// IsEOG reports whether id ends generation (EOS or an end-of-turn token).
func (t *Tokenizer) IsEOG(id int) bool { return t.eog[id] }

// TokenID returns the id of an exact token text.
func (t *Tokenizer) TokenID(s string) (int, bool) {
	id, ok := t.index[s]
	return id, ok
}

// Encode converts text to token ids.
func (t *Tokenizer) Encode(text string, opts EncodeOptions) []int {
	var out []int
	if opts.AddBOS && t.v.BOS >= 0 {
		out = append(out, int(t.v.BOS))
	}
	prevSpecial := true
	emit := func(seg string) {
		if seg == "" {
			return
		}
		if t.v.Model == ModelSPM {
			if t.v.AddSpacePrefix && prevSpecial {
				seg = " " + seg
			}
			out = t.encodeSPM(escapeSPM(seg), out)
		} else {
			out = t.encodeBPE(seg, out)
		}
		prevSpecial = false
	}
	if !opts.ParseSpecial || len(t.specials) == 0 {
		emit(text)
		return out
	}
	start := 0
	for i := 0; i < len(text); {
		matched := ""
		for _, s := range t.specials {
			if strings.HasPrefix(text[i:], s) {
				matched = s
				break
			}
		}
		if matched == "" {
			i++
			continue
		}
		emit(text[start:i])
		out = append(out, t.index[matched])
		prevSpecial = true
		i += len(matched)
		start = i
	}
	emit(text[start:])
	return out
}

// DecodeOptions controls Decode.
type DecodeOptions struct {
	// Special renders control tokens' text instead of dropping it.
	Special bool
	// KeepLeadingSpace keeps the space an SPM tokenizer adds in front.
	KeepLeadingSpace bool
}

// Decode converts ids to text, dropping control tokens.
func (t *Tokenizer) Decode(ids []int) string {
	return t.DecodeWith(ids, DecodeOptions{})
}

// DecodeWith converts ids to text with explicit options.
func (t *Tokenizer) DecodeWith(ids []int, opts DecodeOptions) string {
	var b []byte
	first := true
	for _, id := range ids {
		piece := t.TokenBytes(id, opts.Special)
		if first && len(piece) > 0 {
			first = false
			if t.v.Model == ModelSPM && t.v.AddSpacePrefix && !opts.KeepLeadingSpace && piece[0] == ' ' {
				piece = piece[1:]
			}
		}
		b = append(b, piece...)
	}
	return string(b)
}

// TokenBytes returns the raw bytes one token stands for. Control tokens give
// nothing unless special is set. The bytes may be part of a UTF-8 sequence.
func (t *Tokenizer) TokenBytes(id int, special bool) []byte {
	if id < 0 || id >= len(t.v.Tokens) {
		return nil
	}
	s := t.v.Tokens[id]
	switch t.typ(id) {
	case TypeControl:
		if !special {
			return nil
		}
		return []byte(s)
	case TypeUserDefined, TypeUnknown:
		return []byte(s)
	case TypeUnused:
		return nil
	}
	if t.v.Model == ModelSPM {
		if b, ok := byteToken(s); ok {
			return []byte{b}
		}
		return []byte(strings.ReplaceAll(s, spaceMarker, " "))
	}
	return FromByteLevel(s)
}

// TokenText returns the vocabulary text of id (for display).
func (t *Tokenizer) TokenText(id int) string {
	if id < 0 || id >= len(t.v.Tokens) {
		return ""
	}
	return t.v.Tokens[id]
}
