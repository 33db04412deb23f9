package ingress

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Actor places ingress in the node's actor tree. The listeners are started
// by the node before the actor exists (so a busy port fails the start with a
// clear error); the actor owns them from then on and stops them when its
// subtree stops.
type Actor struct {
	NATS *NATS
	HTTP *HTTP
	// Grace bounds how long HTTP requests in progress may finish on stop.
	Grace time.Duration
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Stopping:
		a.stop()
	case *actor.Started, *actor.Stopped, *actor.Restarting:
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
	}
}

// stop closes both listeners; safe to call twice (each Stop is).
func (a *Actor) stop() {
	if a.HTTP != nil {
		a.HTTP.Stop(a.Grace)
	}
	if a.NATS != nil {
		a.NATS.Stop()
	}
}
