package router

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
)

// ActorConfig configures the router actor.
type ActorConfig struct {
	NodeID string
	// Agents is the agents supervisor, which spawns external-agent proxies.
	Agents *actor.PID
	Routes *Routes
	// Heartbeat is the interval external agents are told to heartbeat at.
	Heartbeat time.Duration
	// Misses is how many intervals may pass without a heartbeat before an
	// external agent is dropped.
	Misses int
	// Capacity is the default mailbox bound of an external agent.
	Capacity int32
	Logger   *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Actor is the router actor: the single writer of the routing Table.
type Actor struct {
	cfg    ActorConfig
	table  *Table
	ticker *time.Ticker
	done   chan struct{}
}

// NewActor returns a producer for the router actor.
func NewActor(cfg ActorConfig) actor.Producer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The table outlives a restart of the actor: it is the router's state,
	// and only the actor (one instance at a time) touches it.
	table := NewTable()
	return func() actor.Actor { return &Actor{cfg: cfg, table: table} }
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.startTicker(ctx)
	case *actor.Stopping, *actor.Restarting:
		a.stopTicker()
	case *AddRoute:
		snap, err := a.table.Put(m.Entry, a.cfg.Now())
		if err == nil {
			a.cfg.Routes.store(snap)
		}
		ctx.Respond(&RouteAdded{Err: err})
	case *messages.RegisterAgent:
		ctx.Respond(a.register(ctx, m))
	case *messages.Heartbeat:
		if m.GetAgent() == nil {
			return
		}
		if !a.table.Touch(m.GetAgent().GetName(), a.cfg.Now()) {
			if ack := a.register(ctx, m.GetAgent()); !ack.Accepted {
				a.cfg.Logger.Warn("heartbeat from agent that cannot register",
					"agent", m.GetAgent().GetName(), "code", ack.ErrorCode, "error", ack.ErrorMessage)
			}
		}
	case *messages.DeregisterAgent:
		a.drop(ctx, m.GetName(), "left")
	case *RouteDown:
		a.drop(ctx, m.Name, "unreachable")
	case *tick:
		gone, snap := a.table.Expire(m.now, a.cfg.Misses)
		if len(gone) > 0 {
			a.cfg.Routes.store(snap)
			for _, e := range gone {
				ctx.Poison(e.PID)
				a.cfg.Logger.Info("external agent expired", "agent", e.Name, "last_seen", e.LastSeen)
			}
		}
	case *actor.Stopped, *actor.Restart:
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
	}
}

func (a *Actor) drop(ctx actor.Context, name, why string) {
	e, ok := a.table.Get(name)
	if !ok || !e.External {
		return
	}
	_, snap, err := a.table.Remove(name)
	if err != nil {
		return
	}
	a.cfg.Routes.store(snap)
	// Poison, not Stop: tasks already in the proxy's mailbox are answered
	// (as unavailable, and retried elsewhere) before it stops.
	ctx.Poison(e.PID)
	a.cfg.Logger.Info("external agent removed", "agent", name, "reason", why)
}

// register admits or refreshes an external agent.
func (a *Actor) register(ctx actor.Context, r *messages.RegisterAgent) *messages.RegisterAck {
	ack := &messages.RegisterAck{NodeId: a.cfg.NodeID, HeartbeatMs: a.cfg.Heartbeat.Milliseconds()}
	if err := CheckAgent(r.GetName(), r.GetCapabilities()); err != nil {
		ack.ErrorCode, ack.ErrorMessage = messages.CodeRegisterInvalid, err.Error()
		return ack
	}
	subject := r.GetSubject()
	if subject == "" {
		subject = "bizra.agent.task." + r.GetName()
	}
	capacity := a.cfg.Capacity
	if c := r.GetConcurrency(); c > 0 && c < capacity*16 {
		capacity = c
	}
	hb := a.cfg.Heartbeat
	if ms := r.GetHeartbeatMs(); ms > 0 {
		hb = time.Duration(ms) * time.Millisecond
	}
	entry := Entry{
		Name: r.GetName(), Kind: "external", Capabilities: r.GetCapabilities(),
		Capacity: capacity, External: true, Subject: subject, Heartbeat: hb,
	}
	old, known := a.table.Get(r.GetName())
	switch {
	case known && !old.External:
		ack.ErrorCode, ack.ErrorMessage = messages.CodeNameTaken, fmt.Sprintf("agent name %q is held by a local agent", r.GetName())
		return ack
	case known && old.Subject != subject:
		// A new subject needs a new proxy.
		a.drop(ctx, old.Name, "re-registered")
		known = false
	}
	if !known {
		load := &Load{}
		res, err := ctx.RequestFuture(a.cfg.Agents, &SpawnExternal{Registration: r, Subject: subject, Capacity: capacity, Load: load}, 5*time.Second).Result()
		sp, _ := res.(*ExternalSpawned)
		if err == nil && sp == nil {
			err = errors.New("router: unexpected reply from agents supervisor")
		}
		if err == nil {
			err = sp.Err
		}
		if err != nil {
			ack.ErrorCode, ack.ErrorMessage = messages.CodeRegisterInvalid, err.Error()
			return ack
		}
		entry.PID, entry.Load = sp.PID, load
	}
	snap, err := a.table.Put(entry, a.cfg.Now())
	if err != nil {
		if !known {
			ctx.Poison(entry.PID)
		}
		ack.ErrorCode, ack.ErrorMessage = messages.CodeRegisterInvalid, err.Error()
		return ack
	}
	a.cfg.Routes.store(snap)
	if !known {
		a.cfg.Logger.Info("external agent joined", "agent", entry.Name, "capabilities", entry.Capabilities, "subject", subject)
	}
	ack.Accepted, ack.Subject, ack.HeartbeatMs = true, subject, hb.Milliseconds()
	return ack
}

func (a *Actor) startTicker(ctx actor.Context) {
	a.stopTicker()
	if a.cfg.Heartbeat <= 0 {
		return
	}
	interval := a.cfg.Heartbeat / 2
	a.ticker = time.NewTicker(interval)
	a.done = make(chan struct{})
	t, done, self, root, now := a.ticker, a.done, ctx.Self(), ctx.ActorSystem().Root, a.cfg.Now
	go func() {
		for {
			select {
			case <-t.C:
				root.Send(self, &tick{now: now()})
			case <-done:
				return
			}
		}
	}()
}

// stopTicker stops the liveness timer; safe to call twice.
func (a *Actor) stopTicker() {
	if a.ticker != nil {
		a.ticker.Stop()
		close(a.done)
		a.ticker, a.done = nil, nil
	}
}
