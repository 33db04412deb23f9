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
	// Stages run around routing, in order (see Stage).
	Stages []Stage
	// Remote, when set, takes cards whose capability no local agent
	// serves, to run on another cluster member.
	Remote Remote
	Now    func() time.Time
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
	var out *messages.TaskResult
	// Waiting on a future keeps the completion on this goroutine.
	d.dispatch(card, true, func(r *messages.TaskResult) { out = r })
	return out
}

// DispatchAsync routes card to an agent and calls done exactly once with
// its final TaskResult. done runs on the caller's goroutine for a task
// rejected at once, otherwise on a goroutine started when the agent's answer
// (or the deadline) arrives. No goroutine waits while the agent works, so
// ingress needs none per request in flight.
func (d *Dispatcher) DispatchAsync(card *messages.TaskCard, done func(*messages.TaskResult)) {
	d.dispatch(card, false, done)
}

// dispatch runs the pipeline; with wait it blocks on the agent's answer
// and calls done before returning.
func (d *Dispatcher) dispatch(card *messages.TaskCard, wait bool, done func(*messages.TaskResult)) {
	received := d.cfg.Now()
	d.mu.RLock()
	if d.draining {
		d.mu.RUnlock()
		done(d.finish(card, "", Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeDraining, "node is draining and takes no new tasks"), received))
		return
	}
	d.wg.Add(1)
	d.mu.RUnlock()
	if d.cfg.Metrics != nil {
		d.cfg.Metrics.InFlight.Inc()
	}
	complete := func(label string, r *messages.TaskResult) {
		r = d.finish(card, label, r, received)
		r.Governance = governanceRecord(card.GetGovernance(), r.GetGovernance())
		if len(d.cfg.Stages) > 0 {
			now := d.cfg.Now()
			for i := len(d.cfg.Stages) - 1; i >= 0; i-- {
				d.cfg.Stages[i].After(card, r, now.Sub(received), now)
			}
		}
		if d.cfg.Metrics != nil {
			d.cfg.Metrics.InFlight.Dec()
		}
		d.wg.Done()
		done(r)
	}
	if card.GetId() == "" {
		card.Id = NewID()
	}
	card.Governance = nil // set by stages only, never by the sender
	if len(d.cfg.Stages) > 0 {
		card.Governance = &messages.Governance{}
	}
	if r := Validate(card, received, d.cfg.MaxPayload, d.cfg.NodeID); r != nil {
		complete("", r)
		return
	}
	for _, st := range d.cfg.Stages {
		if r := st.Before(card, received); r != nil {
			if r.NodeId == "" {
				r.NodeId = d.cfg.NodeID
			}
			complete("", r)
			return
		}
	}
	d.route(card, received, "", wait, func(res *messages.TaskResult, label string) {
		// A result from another member was retried there already when
		// that was allowed (see Remote).
		if !Retryable(card, res) || res.GetNodeId() != d.cfg.NodeID {
			complete(label, res)
			return
		}
		d.route(card, received, res.GetAgent(), wait, func(retry *messages.TaskResult, l string) {
			if retry.GetErrorCode() == messages.CodeUnknownCapability {
				complete(label, res) // no other agent: report the first failure
				return
			}
			complete(l, retry)
		})
	})
}

// route sends card to one agent (not exclude) and calls done with its
// result and the capability label for metrics.
func (d *Dispatcher) route(card *messages.TaskCard, received time.Time, exclude string, wait bool, done func(*messages.TaskResult, string)) {
	snap := d.cfg.Routes.Load()
	e, err := snap.Acquire(card.GetCapability(), exclude)
	switch {
	case errors.Is(err, ErrUnknownCapability) && d.cfg.Remote != nil && card.GetHops() == 0 && exclude == "":
		d.forward(card, received, wait, done)
		return
	case errors.Is(err, ErrUnknownCapability):
		done(Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeUnknownCapability,
			fmt.Sprintf("no agent on node %q has capability %q", d.cfg.NodeID, card.GetCapability())), "")
		return
	case errors.Is(err, ErrOverloaded):
		done(Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeOverloaded,
			fmt.Sprintf("overloaded: every agent with capability %q has a full mailbox", card.GetCapability())), card.GetCapability())
		return
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
	answer := func(res *messages.TaskResult, timedOut bool) {
		if res == nil {
			msg := fmt.Sprintf("agent %q did not answer within %s", e.Name, timeout)
			code, state := messages.CodeDeadlineExceeded, messages.TaskState_TASK_STATE_FAILED
			if !timedOut {
				msg, code = fmt.Sprintf("agent %q is gone (the task was not delivered)", e.Name), messages.CodeAgentUnavailable
			}
			res = Reject(card, d.cfg.NodeID, state, code, msg)
			res.Agent = e.Name
		}
		done(res, card.GetCapability())
	}
	if wait {
		v, err := d.cfg.System.Root.RequestFuture(e.PID, card, timeout).Result()
		res, _ := v.(*messages.TaskResult)
		answer(res, errors.Is(err, actor.ErrTimeout))
		return
	}
	reply := newReply(d.cfg.System, timeout, answer)
	d.cfg.System.Root.RequestWithCustomSender(e.PID, card, reply.pid)
}

// forward hands card to the cluster (see Remote).
func (d *Dispatcher) forward(card *messages.TaskCard, received time.Time, wait bool, done func(*messages.TaskResult, string)) {
	timeout := d.cfg.DefaultTimeout
	if dl := card.GetDeadline(); dl != nil {
		timeout = dl.AsTime().Sub(received)
	}
	if timeout <= 0 {
		done(Reject(card, d.cfg.NodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeDeadlineExceeded, "deadline passed before the task could be forwarded"), "")
		return
	}
	label := card.GetCapability()
	if !wait {
		d.cfg.Remote.Forward(card, timeout, func(res *messages.TaskResult) { done(res, label) })
		return
	}
	ch := make(chan *messages.TaskResult, 1)
	d.cfg.Remote.Forward(card, timeout, func(res *messages.TaskResult) { ch <- res })
	done(<-ch, label)
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

// Validate checks a TaskCard before routing: CheckCard, then the deadline
// (not passed). It returns a final result for a card that must not run, or
// nil.
func Validate(card *messages.TaskCard, now time.Time, maxPayload int, nodeID string) *messages.TaskResult {
	if r := CheckCard(card, maxPayload, nodeID); r != nil {
		return r
	}
	if card.GetDeadline() != nil && !card.GetDeadline().AsTime().After(now) {
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeDeadlineExceeded,
			fmt.Sprintf("deadline %s had passed when the node received the task", card.GetDeadline().AsTime().Format(time.RFC3339Nano)))
	}
	return nil
}

// CheckCard checks what does not depend on time: a capability that is
// present and a valid name, and input within maxPayload. Ingress decoders
// and Validate share it.
func CheckCard(card *messages.TaskCard, maxPayload int, nodeID string) *messages.TaskResult {
	switch {
	case card.GetCapability() == "":
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeMissingCapability, "task card names no capability")
	case !ValidName(card.GetCapability()):
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeUnknownCapability,
			fmt.Sprintf("capability %q is not a valid name ([A-Za-z0-9_-], 1-128 characters)", card.GetCapability()))
	case maxPayload > 0 && len(card.GetInput()) > maxPayload:
		return Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeTooLarge,
			fmt.Sprintf("input is %d bytes; the limit is %d", len(card.GetInput()), maxPayload))
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

// governanceRecord is a task's governance record: what the pipeline's
// stages decided (pipeline, nil without stages), plus the decisions the
// local agent reported (its gate verdicts and inference route). Agents
// that cannot be trusted with it (external agents, other members) reach
// here with none.
func governanceRecord(pipeline, agent *messages.Governance) *messages.Governance {
	if pipeline == nil || agent == nil {
		return pipeline
	}
	pipeline.Gate = append(pipeline.Gate, agent.GetGate()...)
	if agent.GetInference() != nil {
		pipeline.Inference = agent.GetInference()
	}
	return pipeline
}
