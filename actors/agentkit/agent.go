package agentkit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Handler does the agent's work for one TaskCard.
type Handler interface {
	Handle(ctx context.Context, task *messages.TaskCard) ([]byte, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, task *messages.TaskCard) ([]byte, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, t *messages.TaskCard) ([]byte, error) {
	return f(ctx, t)
}

// Config describes the agent.
type Config struct {
	// Name is unique per node ([A-Za-z0-9_-]).
	Name string
	// Capabilities the agent serves.
	Capabilities []string
	// Concurrency is how many tasks the agent runs at once (default 16).
	Concurrency int
	// Heartbeat interval (default: what the node asks for in its ack).
	Heartbeat time.Duration
	// RegisterTimeout bounds the wait for a node's ack (default 5s).
	RegisterTimeout time.Duration
}

// Validate names the first invalid field.
func (c Config) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("%w: Name must be set", ErrInvalidConfig)
	}
	if len(c.Capabilities) == 0 {
		return fmt.Errorf("%w: Capabilities must not be empty", ErrInvalidConfig)
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("%w: Concurrency must be >= 0", ErrInvalidConfig)
	}
	return nil
}

// Agent is a joined external agent.
type Agent struct {
	cfg  Config
	nc   *nats.Conn
	reg  *messages.RegisterAgent
	sub  *nats.Subscription
	h    Handler
	sem  chan struct{}
	ctx  context.Context
	stop context.CancelFunc
	// wg owns the heartbeat goroutine, inflight the task goroutines.
	wg       sync.WaitGroup
	inflight sync.WaitGroup
	once     sync.Once
	// Ack is the node's answer to the registration.
	Ack *messages.RegisterAck
}

// Join subscribes to the agent's task subject, registers with the node(s)
// on nc, and starts heartbeating.
func Join(nc *nats.Conn, cfg Config, h Handler) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 16
	}
	if cfg.RegisterTimeout == 0 {
		cfg.RegisterTimeout = 5 * time.Second
	}
	a := &Agent{cfg: cfg, nc: nc, h: h, sem: make(chan struct{}, cfg.Concurrency)}
	a.ctx, a.stop = context.WithCancel(context.Background())
	a.reg = &messages.RegisterAgent{
		Name: cfg.Name, Capabilities: cfg.Capabilities, Subject: "bizra.agent.task." + cfg.Name,
		Concurrency: int32(cfg.Concurrency), HeartbeatMs: cfg.Heartbeat.Milliseconds(),
	}
	sub, err := nc.Subscribe(a.reg.Subject, a.onTask)
	if err != nil {
		return nil, fmt.Errorf("agentkit: subscribe: %w", err)
	}
	a.sub = sub
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("agentkit: flush: %w", err)
	}
	data, _ := proto.Marshal(a.reg)
	msg, err := nc.Request("bizra.agent.register", data, cfg.RegisterTimeout)
	if err != nil {
		_ = sub.Unsubscribe()
		if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("%w: %v", ErrNoNode, err)
		}
		return nil, fmt.Errorf("agentkit: register: %w", err)
	}
	ack := &messages.RegisterAck{}
	if err := proto.Unmarshal(msg.Data, ack); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("agentkit: malformed ack: %w", err)
	}
	if !ack.GetAccepted() {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("%w: %s: %s", ErrRefused, ack.GetErrorCode(), ack.GetErrorMessage())
	}
	a.Ack = ack
	interval := cfg.Heartbeat
	if interval <= 0 {
		interval = time.Duration(ack.GetHeartbeatMs()) * time.Millisecond
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	a.reg.HeartbeatMs = interval.Milliseconds()
	a.wg.Add(1)
	go a.heartbeat(interval)
	return a, nil
}

func (a *Agent) heartbeat(interval time.Duration) {
	defer a.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	hb, _ := proto.Marshal(&messages.Heartbeat{Agent: a.reg})
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			_ = a.nc.Publish("bizra.agent.heartbeat", hb)
		}
	}
}

func (a *Agent) onTask(m *nats.Msg) {
	select {
	case a.sem <- struct{}{}:
	case <-a.ctx.Done():
		return
	}
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		defer func() { <-a.sem }()
		res := a.run(m.Data)
		data, _ := proto.Marshal(res)
		_ = m.Respond(data)
	}()
}

func (a *Agent) run(data []byte) *messages.TaskResult {
	started := time.Now()
	card := &messages.TaskCard{}
	if err := proto.Unmarshal(data, card); err != nil {
		return &messages.TaskResult{State: messages.TaskState_TASK_STATE_REJECTED,
			ErrorCode: messages.CodeMalformed, ErrorMessage: err.Error(), Agent: a.cfg.Name}
	}
	ctx := a.ctx
	if d := card.GetDeadline(); d != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.AsTime())
		defer cancel()
	}
	res := &messages.TaskResult{TaskId: card.GetId(), Agent: a.cfg.Name, SessionId: card.GetSessionId(), TraceId: card.GetTraceId()}
	out, err := a.h.Handle(ctx, card)
	if err != nil {
		res.State, res.ErrorCode, res.ErrorMessage = messages.TaskState_TASK_STATE_FAILED, messages.CodeAgentFailed, err.Error()
	} else {
		res.State, res.Output, res.MediaType = messages.TaskState_TASK_STATE_COMPLETED, out, card.GetMediaType()
	}
	res.Timings = &messages.Timings{StartedAt: timestamppb.New(started), FinishedAt: timestamppb.Now()}
	return res
}

// Stop stops taking tasks, finishes those in progress (their replies still
// reach the node), then deregisters. Safe to call twice.
func (a *Agent) Stop() {
	a.once.Do(func() {
		_ = a.sub.Unsubscribe()
		a.inflight.Wait()
		data, _ := proto.Marshal(&messages.DeregisterAgent{Name: a.cfg.Name})
		_ = a.nc.Publish("bizra.agent.deregister", data)
		_ = a.nc.Flush()
		a.stop()
		a.wg.Wait()
	})
}
