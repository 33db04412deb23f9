package router

import "sync/atomic"

// Load counts the tasks admitted to one agent and not yet answered. It is the
// agent's mailbox bound made explicit: the Dispatcher admits a task only when
// the count is below the agent's capacity, and the agent releases it when it
// has answered. The mailbox therefore never holds more than capacity tasks
// and a send never blocks.
type Load struct {
	n atomic.Int32
}

// TryAcquire admits one task if fewer than capacity are in flight.
func (l *Load) TryAcquire(capacity int32) bool {
	for {
		cur := l.n.Load()
		if cur >= capacity {
			return false
		}
		if l.n.CompareAndSwap(cur, cur+1) {
			return true
		}
	}
}

// Release marks one admitted task as answered.
func (l *Load) Release() { l.n.Add(-1) }

// InFlight is the number of admitted, unanswered tasks.
func (l *Load) InFlight() int32 { return l.n.Load() }
