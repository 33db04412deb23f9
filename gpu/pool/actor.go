package pool

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/gpu/model"
)

// Event is one item of a request's stream: a token, or the final event
// (Done set) carrying the outcome.
type Event struct {
	Token  int    // generated token id (when !Done)
	Text   string // newly released text
	Done   bool
	Reason string // finish reason (when Done)
	Err    error  // non-nil for cancelled, deadline, error (when Done)
	Tokens []int  // all generated tokens (when Done)
	Full   string // all generated text (when Done)
}

// Stream receives a request's events. The channel is closed after the
// final event.
type Stream struct {
	ID     uint64
	events chan Event
	pool   *Pool
	stopAF func() bool
}

// Events returns the event channel.
func (s *Stream) Events() <-chan Event { return s.events }

// Cancel asks the pool to end the request; a Done event with ErrCancelled
// follows unless the request already finished.
func (s *Stream) Cancel() { s.pool.send(&cancelMsg{id: s.ID}) }

// Messages understood by the actor.
type (
	submitMsg struct {
		req    *Request
		stream *Stream
	}
	cancelMsg struct{ id uint64 }
	stepMsg   struct{}
	statsMsg  struct{ reply chan Stats }
)

// poolActor is the thin shell: it owns the Core and the streams.
type poolActor struct {
	core    *Core
	now     func() time.Time
	streams map[uint64]*Stream
	stepped bool // a stepMsg is in the mailbox
}

func (a *poolActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *submitMsg:
		a.streams[m.req.ID] = m.stream
		a.deliver(a.core.Submit(m.req, a.now()))
	case *cancelMsg:
		a.deliver(a.core.Cancel(m.id, a.now()))
	case *stepMsg:
		a.stepped = false
		a.deliver(a.core.Step(a.now()))
	case *statsMsg:
		m.reply <- a.core.Stats()
	case *actor.Stopping:
		for id := range a.streams {
			a.deliver(a.core.Cancel(id, a.now()))
		}
		for id, s := range a.streams { // requests the core no longer knows
			a.end(id, s, Event{Done: true, Reason: ReasonCancelled, Err: ErrStopped})
		}
		return
	}
	if a.core.HasWork() && !a.stepped {
		a.stepped = true
		ctx.Send(ctx.Self(), &stepMsg{})
	}
}

func (a *poolActor) end(id uint64, s *Stream, ev Event) {
	s.events <- ev
	close(s.events)
	if s.stopAF != nil {
		s.stopAF()
	}
	delete(a.streams, id)
}

// deliver routes effects to streams. Stream channels are buffered for the
// request's whole output, so delivery never blocks the actor.
func (a *poolActor) deliver(effs []Effect) {
	for _, e := range effs {
		switch e := e.(type) {
		case Token:
			if s := a.streams[e.ID]; s != nil {
				s.events <- Event{Token: e.Token, Text: e.Text}
			}
		case Done:
			if s := a.streams[e.ID]; s != nil {
				a.end(e.ID, s, Event{Done: true, Text: e.Tail, Reason: e.Reason, Err: e.Err, Tokens: e.Tokens, Full: e.Text})
			}
		case Rejected:
			if s := a.streams[e.ID]; s != nil {
				a.end(e.ID, s, Event{Done: true, Reason: ReasonError, Err: e.Err})
			}
		}
	}
}

// Pool is a running worker-pool actor serving one model.
type Pool struct {
	system   *actor.ActorSystem
	slotCtx  int // a request yields at most this many tokens
	pid      *actor.PID
	nextID   atomic.Uint64
	stopOnce sync.Once
	stopped  atomic.Bool
	mu       sync.Mutex // orders sends against Stop
}

// Start spawns the pool actor for m on system.
func Start(system *actor.ActorSystem, m *model.Model, cfg Config) (*Pool, error) {
	return StartEngine(system, ModelEngine{M: m}, cfg)
}

// StartEngine is Start for any Engine.
func StartEngine(system *actor.ActorSystem, eng Engine, cfg Config) (*Pool, error) {
	core, err := NewCore(eng, cfg)
	if err != nil {
		return nil, err
	}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &poolActor{core: core, now: time.Now, streams: map[uint64]*Stream{}}
	})
	pid := system.Root.Spawn(props)
	return &Pool{system: system, pid: pid, slotCtx: core.cfg.SlotContext}, nil
}

func (p *Pool) send(msg any) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped.Load() {
		return false
	}
	p.system.Root.Send(p.pid, msg)
	return true
}

// Submit queues a request and returns its stream. The request's ID is
// assigned by the pool. ctx's deadline becomes the request deadline (unless
// req.Deadline is earlier), and cancelling ctx cancels the request. A full
// pool answers with a final event carrying ErrBusy.
func (p *Pool) Submit(ctx context.Context, req Request) (*Stream, error) {
	if req.MaxTokens <= 0 {
		return nil, fmt.Errorf("%w: MaxTokens %d", ErrBadRequest, req.MaxTokens)
	}
	r := req
	r.ID = p.nextID.Add(1)
	r.Prompt = append([]int(nil), req.Prompt...)
	if d, ok := ctx.Deadline(); ok && (r.Deadline.IsZero() || d.Before(r.Deadline)) {
		r.Deadline = d
	}
	// Room for every event the request can produce, so the actor never
	// blocks on a slow reader.
	s := &Stream{ID: r.ID, events: make(chan Event, min(r.MaxTokens, p.slotCtx)+2), pool: p}
	s.stopAF = context.AfterFunc(ctx, s.Cancel)
	if !p.send(&submitMsg{req: &r, stream: s}) {
		s.stopAF()
		return nil, ErrStopped
	}
	return s, nil
}

// Stats returns the core's counters.
func (p *Pool) Stats() (Stats, error) {
	reply := make(chan Stats, 1)
	if !p.send(&statsMsg{reply: reply}) {
		return Stats{}, ErrStopped
	}
	return <-reply, nil
}

// Stop stops the actor, ending every open stream with ErrStopped or
// ErrCancelled; safe to call twice.
func (p *Pool) Stop() {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopped.Store(true)
		p.mu.Unlock()
		_ = p.system.Root.StopFuture(p.pid).Wait()
	})
}
