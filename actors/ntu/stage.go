package ntu

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Stage is the NTU step of the request pipeline (it satisfies
// router.Stage): after each result it sends the agent's monitor an
// observation scored by ResultScore, and writes the observation into the
// result's governance record. It never blocks the request.
type Stage struct {
	System   *actor.ActorSystem
	Monitors *actor.PID
	// Target is the latency within which a completed task scores 1.
	Target time.Duration
}

// Name implements router.Stage.
func (s *Stage) Name() string { return "ntu" }

// Before implements router.Stage; the NTU only observes outcomes.
func (s *Stage) Before(*messages.TaskCard, time.Time) *messages.TaskResult { return nil }

// After implements router.Stage.
func (s *Stage) After(card *messages.TaskCard, res *messages.TaskResult, elapsed time.Duration, now time.Time) {
	score, ok := ResultScore(res, elapsed, s.Target)
	if !ok {
		return
	}
	if res.Governance != nil {
		res.Governance.Ntu = &messages.NtuReading{Agent: res.GetAgent(), Observation: score}
	}
	s.System.Root.Send(s.Monitors, &messages.NtuObservation{
		Agent: res.GetAgent(), Source: "result", Value: score, At: timestamppb.New(now),
		TaskId: card.GetId(), SessionId: card.GetSessionId(),
	})
}
