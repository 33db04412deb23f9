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

func TestGovernanceRecordAddsTheAgentsDecisions(t *testing.T) {
	task := &messages.GateVerdict{Tool: "Task", Allowed: true}
	bash := &messages.GateVerdict{Tool: "Bash", Allowed: false}
	route := &messages.InferenceRoute{Backend: "local"}
	pipeline := &messages.Governance{Gate: []*messages.GateVerdict{task}, Ntu: &messages.NtuReading{Agent: "a"}}
	got := governanceRecord(pipeline, &messages.Governance{Gate: []*messages.GateVerdict{bash}, Inference: route,
		Ntu: &messages.NtuReading{Agent: "forged"}})
	if len(got.GetGate()) != 2 || got.GetGate()[0] != task || got.GetGate()[1] != bash || got.GetInference() != route ||
		got.GetNtu().GetAgent() != "a" {
		t.Fatalf("record %v", got)
	}
	// Without a pipeline (no stages) there is no record to add to.
	if governanceRecord(nil, &messages.Governance{Gate: []*messages.GateVerdict{bash}}) != nil {
		t.Fatal("agent decisions kept without a pipeline")
	}
	if r := governanceRecord(pipeline, nil); r != pipeline {
		t.Fatal("pipeline record lost")
	}
}
