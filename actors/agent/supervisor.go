package agent

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/router"
	"github.com/nats-io/nats.go"
)

// Prepared is a configured agent whose handler has been built.
type Prepared struct {
	Spec    Spec
	Handler Handler
}

// SupervisorConfig configures the agents supervisor.
type SupervisorConfig struct {
	NodeID string
	Agents []Prepared
	// Router receives an AddRoute for each agent started.
	Router *actor.PID
	// NATS carries TaskCards to external agents.
	NATS *nats.Conn
	// Backoff governs restarts of crashed agents.
	Backoff Backoff
	// Timeout bounds a forwarded task that has no deadline of its own.
	Timeout time.Duration
	Logger  *slog.Logger
	Now     func() time.Time
	// OnRestart, when set, is told about every restart.
	OnRestart func(agent string, failures int, delay time.Duration, reason any)
}

// Ready is answered (with Ready) once the supervisor has started every
// configured agent and the router routes to them.
type Ready struct{}

// Supervisor returns the props of the agents supervisor: the parent of every
// agent actor, restarting a failed child alone, with exponential backoff.
func Supervisor(cfg SupervisorConfig) *actor.Props {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	strategy := &backoffStrategy{b: cfg.Backoff, onRestart: func(child *actor.PID, n int, d time.Duration, reason any) {
		name := childName(child)
		cfg.Logger.Warn("agent crashed; restarting", "agent", name, "failures", n, "delay", d, "reason", reason)
		if cfg.OnRestart != nil {
			cfg.OnRestart(name, n, d, reason)
		}
	}}
	return actor.PropsFromProducer(func() actor.Actor { return &supervisor{cfg: cfg} },
		actor.WithSupervisor(strategy))
}

type supervisor struct {
	cfg SupervisorConfig
}

func (s *supervisor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		for _, p := range s.cfg.Agents {
			s.startLocal(ctx, p)
		}
	case *Ready:
		ctx.Respond(&Ready{})
	case *router.SpawnExternal:
		ctx.Respond(s.startExternal(ctx, m))
	case *actor.Stopping, *actor.Stopped, *actor.Restarting, *actor.Terminated:
	default:
		deadLetter(ctx, m)
	}
}

func mailbox(capacity int32) actor.MailboxProducer {
	// Admission (router.Load) keeps at most capacity tasks queued; the slack
	// is for control messages such as a poison pill.
	return actor.Bounded(int(capacity) + 8)
}

func (s *supervisor) startLocal(ctx actor.Context, p Prepared) {
	capacity := int32(p.Spec.Mailbox)
	if capacity < 1 {
		capacity = 1
	}
	load := &router.Load{}
	core := Core{Name: p.Spec.Name, NodeID: s.cfg.NodeID}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &localActor{core: Core{Name: core.Name, NodeID: core.NodeID}, handler: p.Handler, load: load, now: s.cfg.Now}
	}, actor.WithMailbox(mailbox(capacity)))
	pid, err := ctx.SpawnNamed(props, p.Spec.Name)
	if err != nil {
		s.cfg.Logger.Error("agent did not start", "agent", p.Spec.Name, "error", err)
		return
	}
	entry := router.Entry{Name: p.Spec.Name, Kind: p.Spec.Kind, Capabilities: p.Spec.Capabilities,
		PID: pid, Capacity: capacity, Load: load}
	res, err := ctx.RequestFuture(s.cfg.Router, &router.AddRoute{Entry: entry}, 5*time.Second).Result()
	if ra, ok := res.(*router.RouteAdded); err == nil && ok && ra.Err != nil {
		err = ra.Err
	}
	if err != nil {
		s.cfg.Logger.Error("agent not routable", "agent", p.Spec.Name, "error", err)
		ctx.Stop(pid)
		return
	}
	s.cfg.Logger.Info("agent started", "agent", p.Spec.Name, "kind", p.Spec.Kind, "capabilities", p.Spec.Capabilities, "mailbox", capacity)
}

func (s *supervisor) startExternal(ctx actor.Context, m *router.SpawnExternal) *router.ExternalSpawned {
	if s.cfg.NATS == nil {
		return &router.ExternalSpawned{Err: errors.New("agent: no NATS connection for external agents")}
	}
	reg := m.Registration
	props := actor.PropsFromProducer(func() actor.Actor {
		return &externalActor{
			core: Core{Name: reg.GetName(), NodeID: s.cfg.NodeID}, nc: s.cfg.NATS, subject: m.Subject,
			load: m.Load, router: s.cfg.Router, timeout: s.cfg.Timeout, now: s.cfg.Now,
		}
	}, actor.WithMailbox(mailbox(m.Capacity)))
	// A unique name: the proxy of an earlier registration may still be stopping.
	pid := ctx.SpawnPrefix(props, "external-"+reg.GetName()+"-")
	return &router.ExternalSpawned{PID: pid}
}

// childName is the agent name of a child PID ("bizra/agents/echo-1" → "echo-1").
func childName(pid *actor.PID) string {
	id := pid.GetId()
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}
