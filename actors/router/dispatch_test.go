package router

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
)

// A reply whose timeout fires at once must still call back exactly once,
// whichever of timer, answer and stop comes first.
func TestReplyProcessCallsBackOnce(t *testing.T) {
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	for i := 0; i < 200; i++ {
		var calls atomic.Int32
		first := make(chan struct{})
		p := newReply(sys, time.Nanosecond, func(*messages.TaskResult, bool) {
			if calls.Add(1) == 1 {
				close(first)
			}
		})
		p.SendUserMessage(p.pid, &messages.TaskResult{})
		<-first
		p.finish(nil, true)
		p.Stop(p.pid)
		if n := calls.Load(); n != 1 {
			t.Fatalf("callback ran %d times", n)
		}
	}
}
