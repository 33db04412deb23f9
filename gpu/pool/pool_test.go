package pool

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/gpu/gguf"
	"github.com/bizra/bizra/gpu/model"
	"github.com/bizra/bizra/gpu/tokenizer"
)

func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	w, err := model.GenWriter(model.GenConfig{Arch: model.ArchQwen2, Quant: "q8_0", Dims: model.DimsTiny, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.FromGGUF(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var prompts = []string{"Hello, world!", "The quick brown fox", "Numbers such as 42", "Keys and values are kept", "A model file stores tensors"}

func alone(t testing.TB, m *model.Model, prompt []int, maxTokens int) []int {
	t.Helper()
	res, err := m.GenerateTokens(context.Background(), prompt, model.GenerateConfig{MaxTokens: maxTokens}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.TokenIDs
}

func encode(m *model.Model, s string) []int { return m.Tok.Encode(s, tokenizer.EncodeOptions{}) }

// runCore steps until idle, collecting each request's Done.
func runCore(t *testing.T, c *Core, now time.Time, done map[uint64]Done) {
	t.Helper()
	for i := 0; c.HasWork(); i++ {
		if i > 10000 {
			t.Fatal("core never went idle")
		}
		for _, e := range c.Step(now) {
			if d, ok := e.(Done); ok {
				done[d.ID] = d
			}
		}
	}
}

func TestCoreBatchesAndMatchesAlone(t *testing.T) {
	m := tinyModel(t)
	c, err := NewCore(ModelEngine{m}, Config{Slots: 4, QueueSize: 4, SlotContext: 128, PrefillChunk: 5})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	const maxTok = 10
	done := map[uint64]Done{}
	// Requests 1-3 start together; 4 and 5 join later, between steps.
	for i := 0; i < 3; i++ {
		if eff := c.Submit(&Request{ID: uint64(i + 1), Prompt: encode(m, prompts[i]), MaxTokens: maxTok}, now); len(eff) != 0 {
			t.Fatalf("submit %d: %v", i, eff)
		}
	}
	for s := 0; s < 4; s++ {
		for _, e := range c.Step(now) {
			if d, ok := e.(Done); ok {
				done[d.ID] = d
			}
		}
	}
	for i := 3; i < 5; i++ {
		if eff := c.Submit(&Request{ID: uint64(i + 1), Prompt: encode(m, prompts[i]), MaxTokens: maxTok}, now); len(eff) != 0 {
			t.Fatalf("submit %d: %v", i, eff)
		}
	}
	runCore(t, c, now, done)
	total := 0
	for i, p := range prompts {
		d, ok := done[uint64(i+1)]
		if !ok {
			t.Fatalf("request %d never finished", i+1)
		}
		want := alone(t, m, encode(m, p), maxTok)
		if !slices.Equal(d.Tokens, want) {
			t.Errorf("request %d: pooled %v, alone %v", i+1, d.Tokens, want)
		}
		if d.Text != m.Tok.Decode(d.Tokens) {
			t.Errorf("request %d: text %q", i+1, d.Text)
		}
		total += len(d.Tokens)
	}
	st := c.Stats()
	if st.Tokens != total || st.MaxDecodeSet < 4 || st.Steps >= total {
		t.Errorf("stats %+v for %d tokens: requests were not decoded together", st, total)
	}
}

func TestCoreBackpressureCancelDeadline(t *testing.T) {
	m := tinyModel(t)
	c, err := NewCore(ModelEngine{m}, Config{Slots: 2, QueueSize: 1, SlotContext: 64, PrefillChunk: 64})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	p := encode(m, "Hello")
	for id := uint64(1); id <= 3; id++ {
		if eff := c.Submit(&Request{ID: id, Prompt: p, MaxTokens: 50}, now); len(eff) != 0 {
			t.Fatalf("submit %d rejected: %v", id, eff)
		}
	}
	eff := c.Submit(&Request{ID: 4, Prompt: p, MaxTokens: 50}, now)
	if len(eff) != 1 || !errors.Is(eff[0].(Rejected).Err, ErrBusy) {
		t.Fatalf("fourth request: %v", eff)
	}
	c.Step(now) // 1 and 2 take the slots, 3 waits
	if c.Active() != 2 || c.Queued() != 1 {
		t.Fatalf("active %d queued %d", c.Active(), c.Queued())
	}
	// Cancel the queued request, then an active one.
	eff = c.Cancel(3, now)
	if len(eff) != 1 || eff[0].(Done).Reason != ReasonCancelled || !errors.Is(eff[0].(Done).Err, ErrCancelled) {
		t.Fatalf("cancel queued: %v", eff)
	}
	eff = c.Cancel(1, now)
	if len(eff) != 1 || eff[0].(Done).ID != 1 || len(eff[0].(Done).Tokens) != 1 {
		t.Fatalf("cancel active: %v", eff)
	}
	if c.Active() != 1 {
		t.Fatalf("slot not freed: %d active", c.Active())
	}
	// A request with a deadline is ended at the first step past it.
	if eff := c.Submit(&Request{ID: 5, Prompt: p, MaxTokens: 50, Deadline: now.Add(time.Second)}, now); len(eff) != 0 {
		t.Fatal(eff)
	}
	c.Step(now)
	var got []Effect
	for _, e := range c.Step(now.Add(2 * time.Second)) {
		if d, ok := e.(Done); ok {
			got = append(got, d)
		}
	}
	if len(got) != 1 || got[0].(Done).ID != 5 || !errors.Is(got[0].(Done).Err, ErrDeadline) {
		t.Fatalf("deadline: %v", got)
	}
	if eff := c.Submit(&Request{ID: 6, Prompt: p, MaxTokens: 1, Deadline: now}, now); len(eff) != 1 || !errors.Is(eff[0].(Rejected).Err, ErrDeadline) {
		t.Fatalf("expired on arrival: %v", eff)
	}
	if eff := c.Submit(&Request{ID: 7, Prompt: nil, MaxTokens: 1}, now); len(eff) != 1 || !errors.Is(eff[0].(Rejected).Err, ErrBadRequest) {
		t.Fatalf("empty prompt: %v", eff)
	}
	if _, err := NewCore(ModelEngine{m}, Config{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("bad config: %v", err)
	}
}

func collect(t *testing.T, s *Stream) (toks []int, text string, last Event) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				return toks, text, last
			}
			text += ev.Text
			if ev.Done {
				last = ev
			} else {
				toks = append(toks, ev.Token)
			}
		case <-timeout:
			t.Fatal("stream did not finish")
		}
	}
}

func TestActorServesConcurrentRequests(t *testing.T) {
	m := tinyModel(t)
	system := actor.NewActorSystem()
	p, err := Start(system, m, Config{Slots: 3, QueueSize: 4, SlotContext: 128, PrefillChunk: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	const maxTok = 8
	streams := make([]*Stream, len(prompts))
	for i, pr := range prompts {
		if streams[i], err = p.Submit(context.Background(), Request{Prompt: encode(m, pr), MaxTokens: maxTok}); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range streams {
		toks, text, last := collect(t, s)
		want := alone(t, m, encode(m, prompts[i]), maxTok)
		if last.Err != nil || !slices.Equal(toks, want) || !slices.Equal(last.Tokens, want) || text != last.Full {
			t.Errorf("request %d: tokens %v (final %v, %v), alone %v; text %q vs %q", i, toks, last.Tokens, last.Err, want, text, last.Full)
		}
	}
	st, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxDecodeSet < 2 {
		t.Errorf("no step decoded more than one request: %+v", st)
	}
	p.Stop()
	p.Stop()
	if _, err := p.Submit(context.Background(), Request{Prompt: []int{1}, MaxTokens: 1}); !errors.Is(err, ErrStopped) {
		t.Errorf("submit after stop: %v", err)
	}
}

// gateEngine blocks each Forward until the test releases it, while gated.
type gateEngine struct {
	Engine
	gated   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gateEngine) Forward(b []model.Item, l []float32) error {
	if g.gated.Load() {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Engine.Forward(b, l)
}

// TestActorBackpressureAndCancel holds the actor inside a step while more
// requests and a cancellation arrive, so their outcome is deterministic.
func TestActorBackpressureAndCancel(t *testing.T) {
	m := tinyModel(t)
	g := &gateEngine{Engine: ModelEngine{m}, entered: make(chan struct{}), release: make(chan struct{})}
	g.gated.Store(true)
	system := actor.NewActorSystem()
	p, err := StartEngine(system, g, Config{Slots: 3, QueueSize: 4, SlotContext: 128, PrefillChunk: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	prompt := encode(m, "Hello")
	first, err := p.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered // the actor is now inside step 1 with one active slot
	var streams []*Stream
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 7; i++ { // 2 free slots + 4 queue places, then one too many
		c := context.Background()
		if i == 0 {
			c = ctx
		}
		s, err := p.Submit(c, Request{Prompt: prompt, MaxTokens: 20})
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, s)
	}
	cancel()
	g.gated.Store(false)
	g.release <- struct{}{}
	if _, _, last := collect(t, streams[0]); !errors.Is(last.Err, ErrCancelled) || last.Reason != ReasonCancelled {
		t.Errorf("cancelled request: %+v", last)
	}
	if _, _, last := collect(t, streams[6]); !errors.Is(last.Err, ErrBusy) {
		t.Errorf("eighth request: %+v", last)
	}
	want := alone(t, m, prompt, 20)
	for i, s := range append([]*Stream{first}, streams[1:6]...) {
		toks, _, last := collect(t, s)
		if last.Err != nil || !slices.Equal(toks, want) {
			t.Errorf("request %d: %v %v, want %v", i, last.Err, toks, want)
		}
	}
	st, _ := p.Stats()
	if st.MaxDecodeSet != 3 {
		t.Errorf("expected three requests decoding together: %+v", st)
	}
	// Stop ends open streams.
	g.gated.Store(true)
	s, err := p.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered
	g.gated.Store(false)
	go func() { g.release <- struct{}{} }()
	p.Stop()
	// The stream is closed either way; it ends cancelled unless all 20
	// steps ran before the stop arrived.
	if _, _, last := collect(t, s); !errors.Is(last.Err, ErrCancelled) && (last.Err != nil || last.Reason != ReasonLength) {
		t.Errorf("after stop: %+v", last)
	}
}
