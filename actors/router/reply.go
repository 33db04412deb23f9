package router

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
)

// replyProcess receives one agent's answer on behalf of a dispatch. It is a
// protoactor process (a PID an agent can respond to) that calls its
// callback exactly once: with the agent's TaskResult, or with nil when the
// timeout passes first or the agent's PID turned out dead. Unlike a future,
// nobody blocks on it: the callback runs on a goroutine of its own, so the
// answering agent is not held up by what the pipeline does afterwards.
type replyProcess struct {
	system *actor.ActorSystem
	pid    *actor.PID
	done   atomic.Bool
	fn     func(res *messages.TaskResult, timedOut bool)

	mu    sync.Mutex // guards timer: a short timeout can fire before it is stored
	timer *time.Timer
}

func newReply(system *actor.ActorSystem, timeout time.Duration, fn func(*messages.TaskResult, bool)) *replyProcess {
	p := &replyProcess{system: system, fn: fn}
	pid, _ := system.ProcessRegistry.Add(p, "dispatch$"+system.ProcessRegistry.NextId())
	p.pid = pid
	p.mu.Lock()
	p.timer = time.AfterFunc(timeout, func() { p.finish(nil, true) })
	p.mu.Unlock()
	return p
}

func (p *replyProcess) finish(res *messages.TaskResult, timedOut bool) {
	if p.claim() {
		p.fn(res, timedOut)
	}
}

// claim marks the reply answered; only the first caller gets true.
func (p *replyProcess) claim() bool {
	if !p.done.CompareAndSwap(false, true) {
		return false
	}
	p.mu.Lock()
	p.timer.Stop()
	p.mu.Unlock()
	p.system.ProcessRegistry.Remove(p.pid)
	return true
}

// SendUserMessage implements actor.Process.
func (p *replyProcess) SendUserMessage(_ *actor.PID, message any) {
	message = actor.UnwrapEnvelopeMessage(message)
	res, _ := message.(*messages.TaskResult)
	// Anything else (a DeadLetterResponse: the agent's PID is gone) ends the
	// wait without a result. The completion (pipeline stages, which may
	// wait for a synced write, and the reply) runs on its own goroutine so
	// the answering agent goes straight on to its next task; the
	// Dispatcher's in-flight count owns it.
	if p.claim() {
		go p.fn(res, false)
	}
}

// SendSystemMessage implements actor.Process.
func (p *replyProcess) SendSystemMessage(*actor.PID, any) {}

// Stop implements actor.Process.
func (p *replyProcess) Stop(*actor.PID) { p.finish(nil, false) }
