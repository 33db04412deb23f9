package peer

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/ingress"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
)

// ActorName is the name of the Server actor under the node's root.
const ActorName = "peer"

// Server is the actor that runs cards other members forward.
type Server struct {
	NodeID     string
	Dispatcher *router.Dispatcher
	// Governance seals results with the node's key.
	Governance *ingress.Governance
	// ShowLocal answers another member's SessionShowRequest with this
	// node's own records of the session.
	ShowLocal func(id string) *messages.SessionRecords
	Logger    *slog.Logger
}

// Receive implements actor.Actor.
func (s *Server) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.PeerTask:
		s.run(ctx, m)
	case *messages.SessionShowRequest:
		if s.ShowLocal != nil {
			ctx.Respond(s.ShowLocal(m.GetSessionId()))
		}
	case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		s.Logger.Warn("peer: unknown message dead-lettered", "type", fmt.Sprintf("%T", m))
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
	}
}

func (s *Server) run(ctx actor.Context, m *messages.PeerTask) {
	sender, system := ctx.Sender(), ctx.ActorSystem()
	reply := func(card *messages.TaskCard, res *messages.TaskResult) {
		if sender == nil {
			return
		}
		env, err := s.Governance.SealResult(res, card, time.Now())
		if err != nil {
			s.Logger.Error("peer: sealing a result", "error", err)
			return
		}
		system.Root.Send(sender, &messages.PeerResult{Envelope: env})
	}
	card := m.GetCard()
	if card == nil {
		reply(nil, router.Reject(&messages.TaskCard{}, s.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeMalformed, "peer task without a card"))
		return
	}
	if card.Hops == 0 {
		card.Hops = 1
	}
	s.Dispatcher.DispatchAsync(card, func(res *messages.TaskResult) { reply(card, res) })
}
