package session

import (
	"errors"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
)

func TestTaskRecordProofCoversItsResultOnly(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	card := &messages.TaskCard{Id: "t1", SessionId: "s", Capability: "echo", Input: []byte("in")}
	cardBytes, _ := proto.Marshal(card)
	res := &messages.TaskResult{TaskId: "t1", State: messages.TaskState_TASK_STATE_COMPLETED, Output: []byte("out"), Agent: "echo-1",
		Governance: &messages.Governance{
			Gate:      []*messages.GateVerdict{{Tool: "Task", Allowed: true, Score: 0.99, Threshold: 0.95, Fidelity: 1, Accountability: 0.97, Transparency: 1, Ethics: 1, Rule: "ALLOW", Reason: "ok", Hook: "fate"}},
			Ntu:       &messages.NtuReading{Agent: "echo-1", Observation: 0.9},
			Inference: &messages.InferenceRoute{Tier: "NANO", Model: "tiny", Backend: "local", Decisions: []string{"a skipped: open", "local served"}, CompletionTokens: 8},
		}}
	s, err := RecordTask(NewMemStore(), card, cardBytes, res, "node-a", Times{Received: t0, Started: t0.Add(time.Millisecond), Finished: t0.Add(2 * time.Millisecond), Committed: t0.Add(3 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if s.ID() != "s/t1" || !s.Committed() || s.Len() != 5 {
		t.Fatalf("record %s committed=%v len=%d", s.ID(), s.Committed(), s.Len())
	}
	p, err := ProofFromProto(s.Proof().ToProto())
	if err != nil {
		t.Fatal(err)
	}
	if err := ProofCoversResult(p, res); err != nil {
		t.Fatalf("own result: %v", err)
	}
	for name, alter := range map[string]func(r *messages.TaskResult){
		"output":  func(r *messages.TaskResult) { r.Output = []byte("0ut") },
		"state":   func(r *messages.TaskResult) { r.State = messages.TaskState_TASK_STATE_FAILED },
		"task id": func(r *messages.TaskResult) { r.TaskId = "t2" },
		"error":   func(r *messages.TaskResult) { r.ErrorMessage = "x" },
		"agent":   func(r *messages.TaskResult) { r.Agent = "echo-2" },
		"verdict": func(r *messages.TaskResult) { r.Governance.Gate[0].Allowed = false },
		"score":   func(r *messages.TaskResult) { r.Governance.Gate[0].Accountability = 0.98 },
		"rule":    func(r *messages.TaskResult) { r.Governance.Gate[0].Rule = "X" },
		"dropped": func(r *messages.TaskResult) { r.Governance.Gate = nil },
		"ntu":     func(r *messages.TaskResult) { r.Governance.Ntu.Observation = 0.1 },
		"no ntu":  func(r *messages.TaskResult) { r.Governance.Ntu = nil },
		"route":   func(r *messages.TaskResult) { r.Governance.Inference.Backend = "a" },
		"tokens":  func(r *messages.TaskResult) { r.Governance.Inference.CompletionTokens = 7 },
		"hops":    func(r *messages.TaskResult) { r.Governance.Inference.Decisions = r.Governance.Inference.Decisions[1:] },
	} {
		other := proto.Clone(res).(*messages.TaskResult)
		alter(other)
		if err := ProofCoversResult(p, other); !errors.Is(err, ErrProof) {
			t.Errorf("altered %s: %v", name, err)
		}
	}
	// Timestamps that run backwards are clamped forward, never rejected.
	if _, err := RecordTask(NewMemStore(), card, cardBytes, res, "n", Times{Received: t0, Finished: t0.Add(-time.Second)}); err != nil {
		t.Fatalf("out-of-order times: %v", err)
	}
	// A record without a session is named by its task.
	if RecordID(&messages.TaskCard{Id: "x"}) != "x" {
		t.Fatal("record id without session")
	}
}

func TestProofFromProtoRejectsBadSizes(t *testing.T) {
	good := &messages.SessionProof{SessionId: "s", Head: make([]byte, 32), Nodes: []*messages.DagNode{{State: 1, PayloadHash: make([]byte, 32)}}}
	if _, err := ProofFromProto(good); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*messages.SessionProof{
		"nil":     nil,
		"head":    {Head: make([]byte, 31)},
		"payload": {Head: make([]byte, 32), Nodes: []*messages.DagNode{{PayloadHash: make([]byte, 33)}}},
		"parent":  {Head: make([]byte, 32), Nodes: []*messages.DagNode{{PayloadHash: make([]byte, 32), Parents: [][]byte{{1}}}}},
		"state":   {Head: make([]byte, 32), Nodes: []*messages.DagNode{{State: 256, PayloadHash: make([]byte, 32)}}},
	} {
		if _, err := ProofFromProto(m); !errors.Is(err, ErrProof) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEventRecordIsCommittedAndBindsTheEvent(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if AnomalyRecordID("s", "t") != "s/ntu-t" || AnomalyRecordID("", "t") != "t/ntu" {
		t.Fatal("anomaly record ids")
	}
	s, err := RecordEvent(NewMemStore(), "s/ntu-t", []byte("event"), "ntu/agent", "node-a", t0)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Proof()
	if err := VerifyProof(p); err != nil || p.State() != Committed || len(p.Nodes) != 5 {
		t.Fatalf("event record: %v", err)
	}
	other, _ := RecordEvent(NewMemStore(), "s/ntu-t", []byte("evenT"), "ntu/agent", "node-a", t0)
	if other.Head() == s.Head() {
		t.Fatal("a different event gives the same head")
	}
}
