package agent

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Core is the pure part of an agent actor: given a TaskCard and the time it
// decides whether the task may run, and it shapes TaskResults. It does no
// I/O and keeps counters only (atomic, as an external agent's replies
// finish on several goroutines).
type Core struct {
	Name   string
	NodeID string
	// Completed, Failed and Panics count outcomes over the actor's life.
	Completed, Failed, Panics atomic.Uint64
}

// Begin is called when the agent takes a task from its mailbox. It returns a
// final result when the task must not run (its deadline has passed), or nil.
func (c *Core) Begin(card *messages.TaskCard, now time.Time) *messages.TaskResult {
	if d := card.GetDeadline(); d != nil && !now.Before(d.AsTime()) {
		c.Failed.Add(1)
		r := c.result(card, now, now)
		r.State = messages.TaskState_TASK_STATE_FAILED
		r.ErrorCode = messages.CodeDeadlineExceeded
		r.ErrorMessage = fmt.Sprintf("deadline %s passed before agent %q started the task", d.AsTime().Format(time.RFC3339Nano), c.Name)
		return r
	}
	return nil
}

// Finish turns the handler's outcome into the task's result.
func (c *Core) Finish(card *messages.TaskCard, out Output, err error, started, now time.Time) *messages.TaskResult {
	r := c.result(card, started, now)
	r.Governance = out.Governance
	var rej *RejectError
	var fail *FailError
	switch {
	case errors.As(err, &rej):
		c.Failed.Add(1)
		r.State = messages.TaskState_TASK_STATE_REJECTED
		r.ErrorCode, r.ErrorMessage = rej.Code, rej.Message
	case errors.As(err, &fail):
		c.Failed.Add(1)
		r.State = messages.TaskState_TASK_STATE_FAILED
		r.ErrorCode, r.ErrorMessage = fail.Code, fail.Message
		r.Output, r.MediaType = out.Data, out.MediaType
	case err == nil:
		c.Completed.Add(1)
		r.State = messages.TaskState_TASK_STATE_COMPLETED
		r.Output, r.MediaType = out.Data, out.MediaType
	case errors.Is(err, ErrPanic):
		c.Panics.Add(1)
		r.State = messages.TaskState_TASK_STATE_FAILED
		r.ErrorCode = messages.CodeAgentPanic
		r.ErrorMessage = fmt.Sprintf("agent %q crashed while running the task and was restarted: %v", c.Name, err)
	case errors.Is(err, ErrDeadline):
		c.Failed.Add(1)
		r.State = messages.TaskState_TASK_STATE_FAILED
		r.ErrorCode = messages.CodeDeadlineExceeded
		r.ErrorMessage = err.Error()
	default:
		c.Failed.Add(1)
		r.State = messages.TaskState_TASK_STATE_FAILED
		r.ErrorCode = messages.CodeAgentFailed
		r.ErrorMessage = err.Error()
	}
	return r
}

func (c *Core) result(card *messages.TaskCard, started, now time.Time) *messages.TaskResult {
	return &messages.TaskResult{
		TaskId:    card.GetId(),
		NodeId:    c.NodeID,
		Agent:     c.Name,
		SessionId: card.GetSessionId(),
		TraceId:   card.GetTraceId(),
		Timings: &messages.Timings{
			StartedAt:  timestamppb.New(started),
			FinishedAt: timestamppb.New(now),
			Run:        durationpb.New(now.Sub(started)),
		},
	}
}
