package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
)

// localActor is the actor shell of an in-process agent.
type localActor struct {
	core    Core
	handler Handler
	load    *router.Load
	now     func() time.Time
}

func (a *localActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.TaskCard:
		a.run(ctx, m)
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		deadLetter(ctx, m)
	}
}

func (a *localActor) run(ctx actor.Context, card *messages.TaskCard) {
	// Release runs on every path, a panic included: the task leaves the
	// mailbox bound when it has been answered.
	defer a.load.Release()
	started := a.now()
	if r := a.core.Begin(card, started); r != nil {
		ctx.Respond(r)
		return
	}
	hctx, cancel := taskContext(card)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			ctx.Respond(a.core.Finish(card, Output{}, fmt.Errorf("%w: %v", ErrPanic, p), started, a.now()))
			// Re-raise so the supervisor sees the failure and restarts us.
			panic(p)
		}
	}()
	out, err := a.handler.Handle(hctx, card)
	if err != nil && errors.Is(hctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %v", ErrDeadline, err)
	}
	ctx.Respond(a.core.Finish(card, out, err, started, a.now()))
}

// taskContext carries the card's deadline.
func taskContext(card *messages.TaskCard) (context.Context, context.CancelFunc) {
	if d := card.GetDeadline(); d != nil {
		return context.WithDeadline(context.Background(), d.AsTime())
	}
	return context.WithCancel(context.Background())
}

func deadLetter(ctx actor.Context, m any) {
	ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
}
