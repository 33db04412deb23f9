package inference

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/gpu/model"
	"github.com/bizra/bizra/gpu/pool"
	"github.com/bizra/bizra/gpu/tokenizer"
)

// LocalConfig configures a Local backend over a GGUF file.
type LocalConfig struct {
	Name string
	// Path is the GGUF file.
	Path string
	// Model is the model id served; "" means the file's base name without
	// ".gguf".
	Model string
	// Compute is the matmul backend: "cpu" (default), "opencl" or "auto".
	Compute string
	// Threads is the CPU backend's goroutines per matmul (0: GOMAXPROCS).
	Threads int
	// Pool sizes the continuous-batching worker pool.
	Pool pool.Config
}

// ModelID is the id a GGUF file is served under by default: its base
// name without the .gguf extension.
func ModelID(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".gguf")
}

// Local is a Backend running a GGUF model in-process on the gpu/pool
// worker-pool actor (continuous batching). Chat prompts are rendered with
// the model's chat template. A request without a temperature decodes
// greedily.
type Local struct {
	name, id  string
	m         *model.Model
	ownModel  bool
	p         *pool.Pool
	slotCtx   int
	closeOnce sync.Once
}

// OpenLocal loads cfg.Path and starts its pool on system.
func OpenLocal(system *actor.ActorSystem, cfg LocalConfig) (*Local, error) {
	var be model.Backend
	switch cfg.Compute {
	case "", model.BackendCPU:
		be = model.NewCPU(cfg.Threads)
	default:
		b, _, err := model.NewBackend(cfg.Compute)
		if err != nil {
			return nil, fmt.Errorf("%w: backend %s: compute %q: %v", ErrBadConfig, cfg.Name, cfg.Compute, err)
		}
		be = b
	}
	m, err := model.Load(cfg.Path, be)
	if err != nil {
		_ = be.Close()
		return nil, fmt.Errorf("%w: backend %s: loading %s: %v", ErrBadConfig, cfg.Name, cfg.Path, err)
	}
	l, err := NewLocal(system, m, cfg)
	if err != nil {
		_ = m.Close()
		return nil, err
	}
	l.ownModel = true
	return l, nil
}

// NewLocal serves an already loaded model (which the caller keeps and
// closes); cfg.Path is only used for the default model id.
func NewLocal(system *actor.ActorSystem, m *model.Model, cfg LocalConfig) (*Local, error) {
	if cfg.Pool == (pool.Config{}) {
		cfg.Pool = pool.DefaultConfig()
	}
	cfg.Pool.SlotContext = min(cfg.Pool.SlotContext, m.P.Context)
	p, err := pool.Start(system, m, cfg.Pool)
	if err != nil {
		return nil, fmt.Errorf("%w: backend %s: %v", ErrBadConfig, cfg.Name, err)
	}
	id := cfg.Model
	if id == "" {
		id = ModelID(cfg.Path)
	}
	return &Local{name: cfg.Name, id: id, m: m, p: p, slotCtx: cfg.Pool.SlotContext}, nil
}

// Name implements Backend.
func (l *Local) Name() string { return l.name }

// ModelID is the id the model is served under.
func (l *Local) ModelID() string { return l.id }

// Model is the loaded model.
func (l *Local) Model() *model.Model { return l.m }

// Models implements Backend.
func (l *Local) Models(context.Context) ([]ModelInfo, error) {
	return []ModelInfo{{ID: l.id, OwnedBy: l.name}}, nil
}

// Health implements Backend: the pool must be running.
func (l *Local) Health(context.Context) error {
	if _, err := l.p.Stats(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBackendUnavailable, l.name, err)
	}
	return nil
}

// Close implements Backend: it stops the pool and closes a model it loaded.
func (l *Local) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.p.Stop()
		if l.ownModel {
			err = l.m.Close()
		}
	})
	return err
}

// Chat implements Backend.
func (l *Local) Chat(ctx context.Context, req ChatRequest) (*Output, error) {
	return l.ChatStream(ctx, req, nil)
}

// Complete implements Backend.
func (l *Local) Complete(ctx context.Context, req CompletionRequest) (*Output, error) {
	return l.CompleteStream(ctx, req, nil)
}

// ChatStream implements Backend.
func (l *Local) ChatStream(ctx context.Context, req ChatRequest, onDelta OnDelta) (*Output, error) {
	ids, err := l.chatPrompt(req.Messages)
	if err != nil {
		return nil, err
	}
	return l.generate(ctx, ids, req.MaxTokens, req.Sampling, onDelta)
}

// CompleteStream implements Backend.
func (l *Local) CompleteStream(ctx context.Context, req CompletionRequest, onDelta OnDelta) (*Output, error) {
	ids, err := l.m.Prompt(req.Prompt, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBackendRejected, l.name, err)
	}
	return l.generate(ctx, ids, req.MaxTokens, req.Sampling, onDelta)
}

// chatPrompt renders messages with the model's chat template.
func (l *Local) chatPrompt(msgs []Message) ([]int, error) {
	if len(msgs) == 1 && msgs[0].Role == "user" {
		ids, err := l.m.Prompt(msgs[0].Content, true)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: chat template: %v", ErrBackendRejected, l.name, err)
		}
		return ids, nil
	}
	tm := make([]tokenizer.Message, len(msgs))
	for i, m := range msgs {
		tm[i] = tokenizer.Message{Role: m.Role, Content: m.Content}
	}
	text, err := l.m.Tok.ApplyChat(tm, true)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: chat template: %v", ErrBackendRejected, l.name, err)
	}
	return l.m.Tok.Encode(text, tokenizer.EncodeOptions{ParseSpecial: true}), nil
}

func (l *Local) generate(ctx context.Context, ids []int, maxTokens int, s Sampling, onDelta OnDelta) (*Output, error) {
	if len(ids) >= l.slotCtx {
		return nil, fmt.Errorf("%w: prompt of %d tokens does not fit the %d-token context of %s", ErrPromptTooLarge, len(ids), l.slotCtx, l.id)
	}
	n := min(maxTokens, l.slotCtx-len(ids))
	if n <= 0 {
		return nil, fmt.Errorf("%w: max_tokens %d", ErrBadRequest, maxTokens)
	}
	var smp model.SamplerConfig
	if s.Temperature != nil {
		smp.Temperature = *s.Temperature
	}
	if s.TopP != nil {
		smp.TopP = *s.TopP
	}
	if s.Seed != nil {
		smp.Seed = uint64(*s.Seed)
	}
	if err := smp.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	for _, st := range s.Stop {
		if st == "" {
			return nil, fmt.Errorf("%w: empty stop sequence", ErrBadRequest)
		}
	}
	st, err := l.p.Submit(ctx, pool.Request{Prompt: ids, MaxTokens: n, Sampler: smp, Stop: s.Stop})
	if err != nil {
		return nil, l.poolError(ctx, err)
	}
	var text strings.Builder
	var cbErr error
	emit := func(piece string) {
		if piece == "" || cbErr != nil {
			return
		}
		piece = strings.ToValidUTF8(piece, "\uFFFD")
		text.WriteString(piece)
		if onDelta != nil {
			if cbErr = onDelta(piece); cbErr != nil {
				st.Cancel()
			}
		}
	}
	for ev := range st.Events() {
		emit(ev.Text)
		if !ev.Done {
			continue
		}
		if cbErr != nil {
			return nil, cbErr
		}
		if ev.Err != nil {
			return nil, l.poolError(ctx, ev.Err)
		}
		out := &Output{Text: text.String(), FinishReason: "stop", PromptTokens: len(ids),
			CompletionTokens: len(ev.Tokens), Model: l.id}
		if ev.Reason == pool.ReasonLength {
			out.FinishReason = "length"
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %s: stream closed without a final event", ErrBackendUnavailable, l.name)
}

func (l *Local) poolError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case errors.Is(err, pool.ErrBusy), errors.Is(err, pool.ErrStopped), errors.Is(err, pool.ErrCancelled):
		return fmt.Errorf("%w: %s: %v", ErrBackendUnavailable, l.name, err)
	case errors.Is(err, pool.ErrDeadline):
		return fmt.Errorf("%w: %s: %v", ErrBackendTimeout, l.name, err)
	case errors.Is(err, pool.ErrBadRequest):
		return fmt.Errorf("%w: %s: %v", ErrBackendRejected, l.name, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrBackendBadResponse, l.name, err)
}
