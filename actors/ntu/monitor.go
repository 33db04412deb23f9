package ntu

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Publish sends an anomaly out of the node (the runtime publishes it on
// NATS subject bizra.ntu.anomaly).
type Publish func(*messages.NtuAnomaly)

// MonitorsConfig configures the NTU subtree.
type MonitorsConfig struct {
	NodeID  string
	Config  Config
	Publish Publish
	Logger  *slog.Logger
}

// Monitors returns the props of the NTU supervisor: it keeps one monitor
// actor per agent, spawned on the agent's first observation, and forwards
// each *messages.NtuObservation to it.
func Monitors(cfg MonitorsConfig) *actor.Props {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return actor.PropsFromProducer(func() actor.Actor { return &monitors{cfg: cfg} })
}

type monitors struct {
	cfg      MonitorsConfig
	children map[string]*actor.PID
}

func (m *monitors) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.NtuObservation:
		name := msg.GetAgent()
		if name == "" {
			return
		}
		pid, ok := m.children[name]
		if !ok {
			cfg := m.cfg
			var err error
			pid, err = ctx.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
				return &monitor{cfg: cfg, agent: name, ntus: map[string]*NTU{}}
			}), name)
			if err != nil {
				m.cfg.Logger.Warn("ntu monitor did not start", "agent", name, "error", err)
				return
			}
			if m.children == nil {
				m.children = map[string]*actor.PID{}
			}
			m.children[name] = pid
		}
		ctx.Send(pid, msg)
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting, *actor.Terminated:
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: msg, Sender: ctx.Sender()})
	}
}

// monitor is the actor shell of one agent's NTUs (one per source).
type monitor struct {
	cfg   MonitorsConfig
	agent string
	ntus  map[string]*NTU
}

func (m *monitor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *messages.NtuObservation:
		n, ok := m.ntus[msg.GetSource()]
		if !ok {
			var err error
			if n, err = New(m.cfg.Config); err != nil {
				m.cfg.Logger.Error("ntu config", "error", err)
				return
			}
			m.ntus[msg.GetSource()] = n
		}
		eff := n.Observe(Observation{Value: msg.GetValue(), Source: msg.GetSource()}, msg.GetAt().AsTime())
		if !eff.Anomalous() {
			return
		}
		a := AnomalyMessage(m.cfg.NodeID, m.agent, msg, eff)
		ctx.ActorSystem().EventStream.Publish(a)
		if m.cfg.Publish != nil {
			m.cfg.Publish(a)
		}
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: msg, Sender: ctx.Sender()})
	}
}

// AnomalyMessage renders an anomalous effect for publication.
func AnomalyMessage(nodeID, agent string, obs *messages.NtuObservation, eff Effect) *messages.NtuAnomaly {
	return &messages.NtuAnomaly{
		NodeId: nodeID, Agent: agent, Source: eff.Source, Anomalies: eff.Anomalies.Names(),
		Value: eff.Value, Deviation: eff.Deviation,
		Belief: eff.State.Belief, Entropy: eff.State.Entropy, Potential: eff.State.Potential,
		At: timestamppb.New(eff.At), TaskId: obs.GetTaskId(), SessionId: obs.GetSessionId(),
	}
}

// ResultScore turns a task's outcome into an observation in [0,1]: 0 for a
// task its agent failed, 1 for one completed within target, target/elapsed
// for one completed late. ok is false for results no agent produced (the
// task was turned away before it reached one) and for REJECTED results.
func ResultScore(res *messages.TaskResult, elapsed, target time.Duration) (score float64, ok bool) {
	if res.GetAgent() == "" {
		return 0, false
	}
	switch res.GetState() {
	case messages.TaskState_TASK_STATE_COMPLETED:
		if elapsed <= target || target <= 0 {
			return 1, true
		}
		return float64(target) / float64(elapsed), true
	case messages.TaskState_TASK_STATE_FAILED:
		return 0, true
	}
	return 0, false
}
