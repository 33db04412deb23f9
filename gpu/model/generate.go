package model

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bizra/bizra/gpu/tokenizer"
)

// GenerateConfig controls Generate.
type GenerateConfig struct {
	// MaxTokens bounds the generated tokens.
	MaxTokens int
	// Sampler selects tokens.
	Sampler SamplerConfig
	// Stop ends generation when the text contains any of these strings;
	// the stop string is not included in the result.
	Stop []string
	// Chat wraps the prompt as a single user turn in the model's chat
	// template; otherwise the prompt is completed as raw text.
	Chat bool
	// MaxContext bounds the KV cache (prompt + generated); 0 means
	// min(model context, prompt + MaxTokens).
	MaxContext int
}

// DefaultGenerateConfig is greedy, 64 tokens, raw completion.
func DefaultGenerateConfig() GenerateConfig {
	return GenerateConfig{MaxTokens: 64, Sampler: DefaultSamplerConfig()}
}

// Validate checks the fields.
func (c GenerateConfig) Validate() error {
	if c.MaxTokens <= 0 {
		return fmt.Errorf("%w: MaxTokens %d", ErrBadConfig, c.MaxTokens)
	}
	if c.MaxContext < 0 {
		return fmt.Errorf("%w: MaxContext %d", ErrBadConfig, c.MaxContext)
	}
	for i, s := range c.Stop {
		if s == "" {
			return fmt.Errorf("%w: Stop[%d] is empty", ErrBadConfig, i)
		}
	}
	return c.Sampler.Validate()
}

// Stop reasons reported in Result.StopReason.
const (
	StopEOS    = "eos"    // the model produced an end-of-generation token
	StopString = "stop"   // a stop sequence appeared
	StopLength = "length" // MaxTokens or the context was reached
)

// Result is the outcome of Generate. It marshals to JSON for
// `bizra infer --json`.
type Result struct {
	Text             string  `json:"text"`
	TokenIDs         []int   `json:"token_ids"`
	PromptTokens     int     `json:"prompt_tokens"`
	StopReason       string  `json:"stop_reason"`
	PromptSeconds    float64 `json:"prompt_seconds"`
	DecodeSeconds    float64 `json:"decode_seconds"`
	PromptTokensPerS float64 `json:"prompt_tokens_per_second"`
	TokensPerS       float64 `json:"tokens_per_second"`
	Backend          string  `json:"backend"`
}

// MaskUnused sets the logits of the vocabulary's unused (padding) tokens
// to -Inf so they are never sampled.
func (m *Model) MaskUnused(logits []float32) {
	ninf := float32(math.Inf(-1))
	for _, id := range m.Tok.Unused() {
		logits[id] = ninf
	}
}

// Prompt tokenizes prompt as Generate would.
func (m *Model) Prompt(prompt string, chat bool) ([]int, error) {
	if chat {
		text, err := m.Tok.ApplyChat([]tokenizer.Message{{Role: "user", Content: prompt}}, true)
		if err != nil {
			return nil, err
		}
		return m.Tok.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true}), nil
	}
	ids := m.Tok.Encode(prompt, tokenizer.EncodeOptions{AddBOS: m.Tok.AddBOS()})
	if len(ids) == 0 { // an empty raw prompt still needs one position
		if b := m.Tok.BOS(); b >= 0 {
			ids = []int{b}
		} else if e := m.Tok.EOS(); e >= 0 {
			ids = []int{e}
		}
	}
	return ids, nil
}

// Generate completes prompt. onText, when non-nil, receives the text as it
// is produced (whole UTF-8 characters, never past a stop sequence).
func (m *Model) Generate(ctx context.Context, prompt string, cfg GenerateConfig, onText func(string)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ids, err := m.Prompt(prompt, cfg.Chat)
	if err != nil {
		return nil, err
	}
	return m.GenerateTokens(ctx, ids, cfg, onText)
}

// GenerateTokens completes an already tokenized prompt.
func (m *Model) GenerateTokens(ctx context.Context, prompt []int, cfg GenerateConfig, onText func(string)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(prompt) == 0 {
		return nil, fmt.Errorf("%w: empty prompt", ErrBadConfig)
	}
	maxCtx := cfg.MaxContext
	if maxCtx == 0 {
		maxCtx = len(prompt) + cfg.MaxTokens
	}
	maxCtx = min(maxCtx, m.P.Context)
	if len(prompt) >= maxCtx {
		return nil, fmt.Errorf("%w: prompt of %d tokens, context %d", ErrContextFull, len(prompt), maxCtx)
	}
	seq := m.NewSequence(maxCtx)
	smp := NewSampler(cfg.Sampler)
	res := &Result{PromptTokens: len(prompt), Backend: m.be.Name(), StopReason: StopLength}
	logits := make([]float32, m.P.Vocab)
	batch := make([]Item, len(prompt))
	for i, t := range prompt {
		batch[i] = Item{Seq: seq, Token: t, Logits: i == len(prompt)-1}
	}
	t0 := time.Now()
	if err := m.Forward(batch, logits); err != nil {
		return nil, err
	}
	res.PromptSeconds = time.Since(t0).Seconds()
	t1 := time.Now()
	st := NewTextStream(m.Tok, cfg.Stop)
	emit := func(s string) {
		if onText != nil && s != "" {
			onText(s)
		}
	}
	for len(res.TokenIDs) < cfg.MaxTokens {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		m.MaskUnused(logits)
		tok := smp.Sample(logits)
		if m.Tok.IsEOG(tok) {
			res.StopReason = StopEOS
			break
		}
		res.TokenIDs = append(res.TokenIDs, tok)
		piece, stopped := st.Add(tok)
		emit(piece)
		if stopped {
			res.StopReason = StopString
			break
		}
		if len(res.TokenIDs) == cfg.MaxTokens || seq.Pos >= seq.MaxPos {
			break
		}
		if err := m.Forward([]Item{{Seq: seq, Token: tok, Logits: true}}, logits); err != nil {
			return res, err
		}
	}
	emit(st.Finish())
	res.Text = st.Text()
	res.DecodeSeconds = time.Since(t1).Seconds()
	if res.PromptSeconds > 0 {
		res.PromptTokensPerS = float64(len(prompt)) / res.PromptSeconds
	}
	if res.DecodeSeconds > 0 {
		res.TokensPerS = float64(len(res.TokenIDs)) / res.DecodeSeconds
	}
	return res, nil
}

// TextStream turns generated tokens into text incrementally. It applies
// stop sequences and releases only text that can no longer become part of
// a stop sequence, in whole UTF-8 characters.
type TextStream struct {
	tok     *tokenizer.Tokenizer
	stop    []string
	ids     []int
	text    string
	emitted int
}

// NewTextStream returns a stream decoding with tok and stopping at stop.
func NewTextStream(tok *tokenizer.Tokenizer, stop []string) *TextStream {
	return &TextStream{tok: tok, stop: stop}
}

// Add appends a token. It returns the newly releasable text and whether a
// stop sequence was reached (the text then ends before it).
func (s *TextStream) Add(tok int) (string, bool) {
	s.ids = append(s.ids, tok)
	s.text = s.tok.Decode(s.ids)
	for _, st := range s.stop {
		if i := strings.Index(s.text, st); i >= 0 {
			s.text = s.text[:i]
			return s.release(len(s.text)), true
		}
	}
	hold := 0
	for _, st := range s.stop {
		for k := min(len(st)-1, len(s.text)); k > hold; k-- {
			if strings.HasSuffix(s.text, st[:k]) {
				hold = k
				break
			}
		}
	}
	return s.release(len(s.text) - hold), false
}

func (s *TextStream) release(upTo int) string {
	if upTo < s.emitted { // a stop sequence cut into held-back text only
		upTo = s.emitted
	}
	for upTo > s.emitted && !utf8.ValidString(s.text[s.emitted:upTo]) {
		upTo--
	}
	out := s.text[s.emitted:upTo]
	s.emitted = upTo
	return out
}

// Finish releases whatever text is still held back.
func (s *TextStream) Finish() string {
	out := s.text[s.emitted:]
	s.emitted = len(s.text)
	return out
}

// Text is the full text so far (stop sequence excluded).
func (s *TextStream) Text() string { return s.text }
