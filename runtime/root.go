package runtime

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/agent"
)

const rootName = "bizra"

// rootActor is the node's root supervisor. It starts the router and the
// agents supervisor, and adopts ingress once its listeners are up.
type rootActor struct {
	router actor.Producer
	agents *actor.Props
	ntu    *actor.Props
	// sessions is the session supervisor (nil with records off).
	sessions *actor.Props

	agentsPID *actor.PID
}

// spawnChild asks the root to adopt an actor (ingress, peer) under name.
type spawnChild struct {
	name  string
	actor actor.Actor
}

func (r *rootActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		// Order matters: the agents supervisor registers with the router.
		if _, err := ctx.SpawnNamed(actor.PropsFromProducer(r.router), "router"); err != nil {
			panic(err)
		}
		pid, err := ctx.SpawnNamed(r.agents, "agents")
		if err != nil {
			panic(err)
		}
		r.agentsPID = pid
		if _, err := ctx.SpawnNamed(r.ntu, "ntu"); err != nil {
			panic(err)
		}
		if r.sessions != nil {
			if _, err := ctx.SpawnNamed(r.sessions, "sessions"); err != nil {
				panic(err)
			}
		}
	case *agent.Ready:
		// Reaches the agents supervisor after its Started has run, that is
		// after every configured agent is routable.
		ctx.Forward(r.agentsPID)
	case *spawnChild:
		a := m.actor
		pid, err := ctx.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return a }), m.name)
		if err != nil {
			ctx.Respond(err)
			return
		}
		ctx.Respond(pid)
	case *actor.Stopping, *actor.Stopped, *actor.Restarting, *actor.Terminated:
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
	}
}
