package gate

import (
	"time"

	"github.com/bizra/bizra/messages"
)

// CodeBlocked is the wire code of a task or tool call the gate blocked.
const CodeBlocked = "E_GATE_BLOCKED"

// TaskStage is the gate step of the request pipeline (it satisfies
// router.Stage): every TaskCard is checked as tool Task (its input scanned
// for secrets, its context for a requester and session) before it is
// routed, and a BLOCK ends it REJECTED with CodeBlocked and the rule. Every
// decision goes into the card's governance record (and from there into the
// task's session proof); blocks also go to Log, allowed tasks are not
// logged one by one (tool calls are, by the agents that make them).
type TaskStage struct {
	Gate *Gate
	Log  *Log
}

// Name implements router.Stage.
func (s *TaskStage) Name() string { return "gate" }

// Before implements router.Stage.
func (s *TaskStage) Before(card *messages.TaskCard, now time.Time) *messages.TaskResult {
	d := s.Gate.Check(Request{Tool: ToolTask, Input: Input{Content: string(card.GetInput())},
		Context: RequestContext{Requester: card.GetRequester().GetName(), SessionID: card.GetSessionId()}}, now)
	if card.Governance != nil {
		card.Governance.Gate = append(card.Governance.Gate, d.Record())
	}
	if d.Allowed() {
		return nil
	}
	if s.Log != nil {
		_ = s.Log.LogDecision(d)
	}
	return &messages.TaskResult{TaskId: card.GetId(), State: messages.TaskState_TASK_STATE_REJECTED,
		ErrorCode: CodeBlocked, ErrorMessage: d.Reason, SessionId: card.GetSessionId(), TraceId: card.GetTraceId()}
}

// After implements router.Stage.
func (s *TaskStage) After(*messages.TaskCard, *messages.TaskResult, time.Duration, time.Time) {}
