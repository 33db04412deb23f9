package router

import (
	"time"

	"github.com/bizra/bizra/messages"
)

// Remote runs cards on other cluster members. The Dispatcher calls Forward
// for a card whose capability no local agent serves (and that was not
// forwarded to this node already: hops 0). Forward calls done exactly once
// with a final result: the executing member's (verified), or a refusal
// such as E_UNKNOWN_CAPABILITY when no ACTIVE member serves it. Forward
// owns retries across members: the Dispatcher does not retry a result
// whose node id is another member's.
type Remote interface {
	Forward(card *messages.TaskCard, timeout time.Duration, done func(*messages.TaskResult))
}
