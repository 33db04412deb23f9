package router

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	NodeID string
	System *actor.ActorSystem
	Routes *Routes
	// MaxPayload is the largest TaskCard input accepted, in bytes.
	MaxPayload int
	// DefaultTimeout bounds a task that carries no deadline.
	DefaultTimeout time.Duration
	// Metrics, when set, records every result.
	Metrics *Metrics
	Now     func() time.Time
}

// Dispatcher takes TaskCards from ingress to agents and returns their
// results. It is safe for concurrent use; ingress calls it from many
// goroutines.
type Dispatcher struct {
	cfg      DispatcherConfig
	mu       sync.RWMutex
	draining bool
	wg       sync.WaitGroup
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Dispatcher{cfg: cfg}
}

// Dispatch routes card to an agent and waits for its result or its
// deadline. It always returns a final TaskResult.
func (d *Dispatcher) Dispatch(card *messages.TaskCard) *messages.TaskResult {
	received := d.cfg.Now()
	d.mu.RLock()
	if d.draining {
		d.mu.RUnlock()
		return d.finish(card, "", Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeDraining, "node is draining and takes no new tasks"), received)
	}
	d.wg.Add(1)
	d.mu.RUnlock()
	defer d.wg.Done()
	if d.cfg.Metrics != nil {
		d.cfg.Metrics.InFlight.Inc()
		defer d.cfg.Metrics.InFlight.Dec()
	}

	if card.GetId() == "" {
		card.Id = NewID()
	}
	if r := Validate(card, received, d.cfg.MaxPayload, d.cfg.NodeID); r != nil {
		return d.finish(card, "", r, received)
	}
	res, label := d.route(card, received, "")
	if Retryable(card, res) {
		if retry, l := d.route(card, received, res.GetAgent()); retry.GetErrorCode() != messages.CodeUnknownCapability {
			res, label = retry, l
		}
	}
	return d.finish(card, label, res, received)
}

func (d *Dispatcher) route(card *messages.TaskCard, received time.Time, exclude string) (*messages.TaskResult, string) {
	snap := d.cfg.Routes.Load()
	e, err := snap.Acquire(card.GetCapability(), exclude)
	switch {
	case errors.Is(err, ErrUnknownCapability):
		return Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeUnknownCapability,
			fmt.Sprintf("no agent on node %q has capability %q", d.cfg.NodeID, card.GetCapability())), ""
	case errors.Is(err, ErrOverloaded):
		return Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeOverloaded,
			fmt.Sprintf("overloaded: every agent with capability %q has a full mailbox", card.GetCapability())), card.GetCapability()
	}
	timeout := d.cfg.DefaultTimeout
	if dl := card.GetDeadline(); dl != nil {
		timeout = dl.AsTime().Sub(received)
	}
	if timeout <= 0 {
		// The card was admitted; the agent releases it when it sees the
		// passed deadline.
		timeout = time.Millisecond
	}
	v, err := d.cfg.System.Root.RequestFuture(e.PID, card, timeout).Result()
	res, ok := v.(*messages.TaskResult)
	if err != nil || !ok {
		msg := fmt.Sprintf("agent %q did not answer within %s", e.Name, timeout)
		if err != nil && !errors.Is(err, actor.ErrTimeout) {
			msg = fmt.Sprintf("agent %q: %v", e.Name, err)
		}
		r := Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeDeadlineExceeded, msg)
		r.Agent = e.Name
		return r, card.GetCapability()
	}
	return res, card.GetCapability()
}

func (d *Dispatcher) finish(card *messages.TaskCard, capability string, r *messages.TaskResult, received time.Time) *messages.TaskResult {
	now := d.cfg.Now()
	if r.Timings == nil {
		r.Timings = &messages.Timings{}
	}
	r.Timings.ReceivedAt = timestamppb.New(received)
	if r.Timings.StartedAt != nil {
		r.Timings.Queued = durationpb.New(r.Timings.StartedAt.AsTime().Sub(received))
	}
	if r.NodeId == "" {
		r.NodeId = d.cfg.NodeID
	}
	if m := d.cfg.Metrics; m != nil {
		if capability == "" {
			capability = "_unrouted"
		}
		m.Tasks.WithLabelValues(capability, r.GetState().String()).Inc()
		m.Duration.WithLabelValues(capability).Observe(now.Sub(received).Seconds())
		if r.GetState() != messages.TaskState_TASK_STATE_COMPLETED {
			m.Errors.WithLabelValues(r.GetErrorCode()).Inc()
		}
	}
	return r
}

// Retryable reports whether a failed attempt may be run once more on
// another agent: always when the task was never delivered (no responder),
// and when the agent was lost holding it only if the task is idempotent.
// Nothing non-idempotent runs twice.
func Retryable(card *messages.TaskCard, res *messages.TaskResult) bool {
	switch res.GetErrorCode() {
	case messages.CodeAgentUnavailable:
		return true
	case messages.CodeAgentLost:
		return card.GetIdempotent()
	}
	return false
}

// Drain stops admitting tasks (new ones are REJECTED with E_NODE_DRAINING)
// and waits up to timeout for the tasks in flight. It reports whether they
// all finished.
func (d *Dispatcher) Drain(timeout time.Duration) bool {
	d.mu.Lock()
	d.draining = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// Draining reports whether Drain has been called.
func (d *Dispatcher) Draining() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.draining
}

// Validate checks a TaskCard before routing: capability present and
// well-formed, input within maxPayload, deadline not passed. It returns a
// final result for a card that must not run, or nil.
func Validate(card *messages.TaskCard, now time.Time, maxPayload int, nodeID string) *messages.TaskResult {
	switch {
	case card.GetCapability() == "":
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeMissingCapability, "task card names no capability")
	case !ValidName(card.GetCapability()):
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeUnknownCapability,
			fmt.Sprintf("capability %q is not a valid name ([A-Za-z0-9_-], 1-128 characters)", card.GetCapability()))
	case maxPayload > 0 && len(card.GetInput()) > maxPayload:
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeTooLarge,
			fmt.Sprintf("input is %d bytes; the limit is %d", len(card.GetInput()), maxPayload))
	case card.GetDeadline() != nil && !card.GetDeadline().AsTime().After(now):
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeDeadlineExceeded,
			fmt.Sprintf("deadline %s had passed when the node received the task", card.GetDeadline().AsTime().Format(time.RFC3339Nano)))
	}
	return nil
}

// Reject builds a final result that no agent produced.
func Reject(card *messages.TaskCard, nodeID string, state messages.TaskState, code, msg string) *messages.TaskResult {
	return &messages.TaskResult{
		TaskId:       card.GetId(),
		State:        state,
		ErrorCode:    code,
		ErrorMessage: msg,
		NodeId:       nodeID,
		SessionId:    card.GetSessionId(),
		TraceId:      card.GetTraceId(),
	}
}

// NewID returns a random 128-bit task id, hex encoded.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
