package pool

import (
	"fmt"
	"time"

	"github.com/bizra/bizra/gpu/model"
)

// Request is one generation request.
type Request struct {
	ID        uint64              // chosen by the caller, unique while live
	Prompt    []int               // prompt token ids (non-empty)
	MaxTokens int                 // generated tokens at most
	Sampler   model.SamplerConfig // token selection
	Stop      []string            // stop sequences
	Deadline  time.Time           // zero means none
}

// Finish reasons.
const (
	ReasonEOS       = "eos"
	ReasonStop      = "stop"
	ReasonLength    = "length"
	ReasonCancelled = "cancelled"
	ReasonDeadline  = "deadline"
	ReasonError     = "error"
)

// Effect is an output of Core: one of Token, Done or Rejected.
type Effect interface{ effect() }

// Token streams one generated token of request ID; Text is the newly
// releasable text (possibly empty while a stop sequence is undecided).
type Token struct {
	ID    uint64
	Token int
	Text  string
}

// Done ends request ID. Err is nil for eos, stop and length.
type Done struct {
	ID     uint64
	Reason string
	Err    error
	Tokens []int
	Text   string
	Tail   string // text released at the end, not yet sent in a Token
}

// Rejected answers a Submit that could not be accepted.
type Rejected struct {
	ID  uint64
	Err error
}

func (Token) effect()    {}
func (Done) effect()     {}
func (Rejected) effect() {}

// Engine is what Core needs from a model; *model.Model satisfies it via
// ModelEngine.
type Engine interface {
	NewSequence(maxPos int) *model.Sequence
	Forward(batch []model.Item, logits []float32) error
	VocabSize() int
	IsEOG(tok int) bool
	MaskUnused(logits []float32)
	NewTextStream(stop []string) *model.TextStream
}

// ModelEngine adapts *model.Model to Engine.
type ModelEngine struct{ M *model.Model }

// NewSequence implements Engine.
func (e ModelEngine) NewSequence(n int) *model.Sequence { return e.M.NewSequence(n) }

// Forward implements Engine.
func (e ModelEngine) Forward(b []model.Item, l []float32) error { return e.M.Forward(b, l) }

// VocabSize implements Engine.
func (e ModelEngine) VocabSize() int { return e.M.P.Vocab }

// IsEOG implements Engine.
func (e ModelEngine) IsEOG(t int) bool { return e.M.Tok.IsEOG(t) }

// MaskUnused implements Engine.
func (e ModelEngine) MaskUnused(l []float32) { e.M.MaskUnused(l) }

// NewTextStream implements Engine.
func (e ModelEngine) NewTextStream(stop []string) *model.TextStream {
	return model.NewTextStream(e.M.Tok, stop)
}

type slot struct {
	seq      *model.Sequence
	req      *Request
	active   bool
	prefill  int // prompt tokens already in the cache
	last     int // last sampled token, fed next step
	sampler  *model.Sampler
	text     *model.TextStream
	out      []int
	logitRow int // row of this slot's logits in the step, -1 if none
}

// Stats counts the work done.
type Stats struct {
	Steps        int // forward passes
	Tokens       int // tokens generated
	BatchRows    int // sum over steps of the rows in the batch
	DecodeRows   int // sum over steps of decoding (non-prompt) rows
	MaxDecodeSet int // most requests decoding together in one step
}

// Core is the pool's state machine. It is not safe for concurrent use; the
// actor owns it.
type Core struct {
	cfg    Config
	eng    Engine
	slots  []slot
	queue  []*Request
	live   map[uint64]bool
	logits []float32
	stats  Stats
}

// NewCore allocates the slots' KV caches.
func NewCore(eng Engine, cfg Config) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, eng: eng, slots: make([]slot, cfg.Slots), live: map[uint64]bool{}}
	for i := range c.slots {
		c.slots[i].seq = eng.NewSequence(cfg.SlotContext)
	}
	c.cfg.SlotContext = c.slots[0].seq.MaxPos
	c.logits = make([]float32, cfg.Slots*eng.VocabSize())
	return c, nil
}

// Stats returns counters.
func (c *Core) Stats() Stats { return c.stats }

// Active is the number of requests holding a slot.
func (c *Core) Active() int {
	n := 0
	for i := range c.slots {
		if c.slots[i].active {
			n++
		}
	}
	return n
}

// Queued is the number of requests waiting for a slot.
func (c *Core) Queued() int { return len(c.queue) }

// HasWork reports whether Step would do anything.
func (c *Core) HasWork() bool { return c.Active() > 0 || len(c.queue) > 0 }

// Submit admits a request into the queue, or rejects it.
func (c *Core) Submit(r *Request, now time.Time) []Effect {
	switch {
	case len(r.Prompt) == 0:
		return []Effect{Rejected{r.ID, fmt.Errorf("%w: empty prompt", ErrBadRequest)}}
	case r.MaxTokens <= 0:
		return []Effect{Rejected{r.ID, fmt.Errorf("%w: MaxTokens %d", ErrBadRequest, r.MaxTokens)}}
	case len(r.Prompt) >= c.cfg.SlotContext:
		return []Effect{Rejected{r.ID, fmt.Errorf("%w: prompt of %d tokens, slot context %d", ErrBadRequest, len(r.Prompt), c.cfg.SlotContext)}}
	case c.live[r.ID]:
		return []Effect{Rejected{r.ID, fmt.Errorf("%w: duplicate id %d", ErrBadRequest, r.ID)}}
	}
	if err := r.Sampler.Validate(); err != nil {
		return []Effect{Rejected{r.ID, fmt.Errorf("%w: %w", ErrBadRequest, err)}}
	}
	for _, t := range r.Prompt {
		if t < 0 || t >= c.eng.VocabSize() {
			return []Effect{Rejected{r.ID, fmt.Errorf("%w: token %d", ErrBadRequest, t)}}
		}
	}
	if !r.Deadline.IsZero() && !now.Before(r.Deadline) {
		return []Effect{Rejected{r.ID, ErrDeadline}}
	}
	free := c.cfg.Slots - c.Active()
	if len(c.queue) >= free+c.cfg.QueueSize {
		return []Effect{Rejected{r.ID, ErrBusy}}
	}
	c.live[r.ID] = true
	c.queue = append(c.queue, r)
	return nil
}

// Cancel ends request id if it is queued or active.
func (c *Core) Cancel(id uint64, now time.Time) []Effect {
	for i, r := range c.queue {
		if r.ID == id {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			delete(c.live, id)
			return []Effect{Done{ID: id, Reason: ReasonCancelled, Err: ErrCancelled}}
		}
	}
	for i := range c.slots {
		if s := &c.slots[i]; s.active && s.req.ID == id {
			return []Effect{c.finish(s, ReasonCancelled, ErrCancelled)}
		}
	}
	return nil
}

func (c *Core) finish(s *slot, reason string, err error) Done {
	d := Done{ID: s.req.ID, Reason: reason, Err: err, Tokens: s.out}
	if s.text != nil {
		d.Tail = s.text.Finish()
		d.Text = s.text.Text()
	}
	delete(c.live, s.req.ID)
	*s = slot{seq: s.seq}
	return d
}

// Step expires deadlines, admits queued requests into free slots, runs one
// forward pass over all active slots and samples their next tokens.
func (c *Core) Step(now time.Time) []Effect {
	var eff []Effect
	// deadlines
	q := c.queue[:0]
	for _, r := range c.queue {
		if !r.Deadline.IsZero() && !now.Before(r.Deadline) {
			delete(c.live, r.ID)
			eff = append(eff, Done{ID: r.ID, Reason: ReasonDeadline, Err: ErrDeadline})
		} else {
			q = append(q, r)
		}
	}
	c.queue = q
	for i := range c.slots {
		s := &c.slots[i]
		if s.active && !s.req.Deadline.IsZero() && !now.Before(s.req.Deadline) {
			eff = append(eff, c.finish(s, ReasonDeadline, ErrDeadline))
		}
	}
	// admission, FIFO
	for i := range c.slots {
		if len(c.queue) == 0 {
			break
		}
		s := &c.slots[i]
		if s.active {
			continue
		}
		r := c.queue[0]
		c.queue = c.queue[1:]
		s.seq.Reset()
		s.req, s.active, s.prefill = r, true, 0
		s.sampler = model.NewSampler(r.Sampler)
		s.text = c.eng.NewTextStream(r.Stop)
		s.out = nil
	}
	// batch
	var batch []model.Item
	rows := 0
	decoding := 0
	for i := range c.slots {
		s := &c.slots[i]
		s.logitRow = -1
		if !s.active {
			continue
		}
		if s.prefill < len(s.req.Prompt) {
			end := min(len(s.req.Prompt), s.prefill+c.cfg.PrefillChunk)
			for j := s.prefill; j < end; j++ {
				batch = append(batch, model.Item{Seq: s.seq, Token: s.req.Prompt[j], Logits: j == len(s.req.Prompt)-1})
			}
			s.prefill = end
			if end == len(s.req.Prompt) {
				s.logitRow = rows
				rows++
			}
			continue
		}
		batch = append(batch, model.Item{Seq: s.seq, Token: s.last, Logits: true})
		s.logitRow = rows
		rows++
		decoding++
	}
	if len(batch) == 0 {
		return eff
	}
	c.stats.Steps++
	c.stats.BatchRows += len(batch)
	c.stats.DecodeRows += decoding
	c.stats.MaxDecodeSet = max(c.stats.MaxDecodeSet, decoding)
	if err := c.eng.Forward(batch, c.logits); err != nil {
		for i := range c.slots {
			if s := &c.slots[i]; s.active {
				eff = append(eff, c.finish(s, ReasonError, err))
			}
		}
		return eff
	}
	V := c.eng.VocabSize()
	for i := range c.slots {
		s := &c.slots[i]
		if !s.active || s.logitRow < 0 {
			continue
		}
		row := c.logits[s.logitRow*V : (s.logitRow+1)*V]
		c.eng.MaskUnused(row)
		tok := s.sampler.Sample(row)
		if c.eng.IsEOG(tok) {
			eff = append(eff, c.finish(s, ReasonEOS, nil))
			continue
		}
		s.out = append(s.out, tok)
		s.last = tok
		c.stats.Tokens++
		text, stopped := s.text.Add(tok)
		eff = append(eff, Token{ID: s.req.ID, Token: tok, Text: text})
		switch {
		case stopped:
			eff = append(eff, c.finish(s, ReasonStop, nil))
		case len(s.out) >= s.req.MaxTokens || s.seq.Pos >= s.seq.MaxPos:
			eff = append(eff, c.finish(s, ReasonLength, nil))
		}
	}
	return eff
}
