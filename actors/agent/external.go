package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// externalActor stands in the actor tree for an agent in another process.
// Each TaskCard is forwarded as a NATS request to the agent's subject on a
// goroutine the actor owns, so the agent's concurrency (its mailbox bound) is
// used in full; the reply is sent to the waiting requester.
type externalActor struct {
	core    Core
	nc      *nats.Conn
	subject string
	load    *router.Load
	router  *actor.PID
	timeout time.Duration
	now     func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (a *externalActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.TaskCard:
		a.forward(ctx, m)
	case *actor.Started:
		a.ctx, a.cancel = context.WithCancel(context.Background())
	case *actor.Stopping, *actor.Restarting:
		a.stop()
	case *actor.Stopped:
	default:
		deadLetter(ctx, m)
	}
}

// stop cancels the requests in flight and waits for their goroutines; safe
// to call twice.
func (a *externalActor) stop() {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
}

func (a *externalActor) forward(ctx actor.Context, card *messages.TaskCard) {
	sender, root, self := ctx.Sender(), ctx.ActorSystem().Root, ctx.Self()
	started := a.now()
	if r := a.core.Begin(card, started); r != nil {
		a.load.Release()
		ctx.Respond(r)
		return
	}
	parent := a.ctx
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		res := a.request(parent, card, started)
		a.load.Release()
		if res.GetErrorCode() == messages.CodeAgentUnavailable {
			root.Send(a.router, &router.RouteDown{Name: a.core.Name})
		}
		if sender != nil {
			root.Send(sender, res)
		} else {
			root.Send(self, res) // dead-letters: nobody waits
		}
	}()
}

func (a *externalActor) request(parent context.Context, card *messages.TaskCard, started time.Time) *messages.TaskResult {
	data, err := proto.Marshal(card)
	if err != nil {
		return a.core.Finish(card, Output{}, err, started, a.now())
	}
	deadline := started.Add(a.timeout)
	if d := card.GetDeadline(); d != nil {
		deadline = d.AsTime()
	}
	rctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()
	msg, err := a.nc.RequestWithContext(rctx, a.subject, data)
	now := a.now()
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		r := a.core.Finish(card, Output{}, err, started, now)
		r.ErrorCode = messages.CodeAgentUnavailable
		r.ErrorMessage = fmt.Sprintf("external agent %q is gone: no responder on %s (the task was not delivered)", a.core.Name, a.subject)
		return r
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
		return a.core.Finish(card, Output{}, fmt.Errorf("%w: external agent %q did not answer before %s", ErrDeadline, a.core.Name, deadline.Format(time.RFC3339Nano)), started, now)
	case err != nil:
		r := a.core.Finish(card, Output{}, err, started, now)
		r.ErrorCode = messages.CodeAgentLost
		r.ErrorMessage = fmt.Sprintf("external agent %q went away holding the task (it may have run): %v", a.core.Name, err)
		return r
	}
	var res messages.TaskResult
	if err := proto.Unmarshal(msg.Data, &res); err != nil || !messages.IsFinal(res.GetState()) {
		r := a.core.Finish(card, Output{}, err, started, now)
		r.State = messages.TaskState_TASK_STATE_FAILED
		r.ErrorCode = messages.CodeAgentBadReply
		if err != nil {
			r.ErrorMessage = fmt.Sprintf("external agent %q answered with a malformed TaskResult: %v", a.core.Name, err)
		} else {
			r.ErrorMessage = fmt.Sprintf("external agent %q answered with non-final state %s", a.core.Name, res.GetState())
		}
		return r
	}
	// The node vouches for where the result came from, not the agent, and
	// an external agent cannot add to the governance record.
	res.Governance = nil
	res.TaskId = card.GetId()
	res.Agent = a.core.Name
	res.NodeId = a.core.NodeID
	if res.SessionId == "" {
		res.SessionId = card.GetSessionId()
	}
	if res.TraceId == "" {
		res.TraceId = card.GetTraceId()
	}
	if res.Timings == nil {
		res.Timings = &messages.Timings{}
	}
	res.Timings.StartedAt = timestamppb.New(started)
	res.Timings.FinishedAt = timestamppb.New(now)
	if res.GetState() == messages.TaskState_TASK_STATE_COMPLETED {
		a.core.Completed.Add(1)
	} else {
		a.core.Failed.Add(1)
	}
	return &res
}
