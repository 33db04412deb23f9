package router

import (
	"time"

	"github.com/bizra/bizra/messages"
)

// Stage is one step of the governed request pipeline (seed §3.1). Stages
// run in the order of DispatcherConfig.Stages: Before runs on every card
// before it is routed and may end it (a non-nil result is final, e.g. a
// verification or a budget refusal); After runs on every final result, in
// reverse order, and must not block (it sends, it does not wait).
//
// The order is data in one place (runtime assembles it): later layers add
// stages (envelope verification, gate, session, budget, market) without
// touching the others.
type Stage interface {
	Name() string
	Before(card *messages.TaskCard, now time.Time) *messages.TaskResult
	After(card *messages.TaskCard, res *messages.TaskResult, elapsed time.Duration, now time.Time)
}
