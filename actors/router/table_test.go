package router

import (
	"errors"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{
		"echo": true, "echo-1": true, "a_b": true, "A9": true,
		"": false, "a.b": false, "a b": false, "a*": false, "a>": false, "é": false,
		string(make([]byte, 129)): false,
	} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v", s, got)
		}
	}
}

func TestTablePutCollisions(t *testing.T) {
	tb := NewTable()
	if _, err := tb.Put(Entry{Name: "echo-1", Capabilities: []string{"echo", "echo"}, Capacity: 4}, t0); err != nil {
		t.Fatal(err)
	}
	if got := tb.Snapshot().Candidates("echo"); len(got) != 1 || len(got[0].Capabilities) != 1 {
		t.Fatalf("duplicate capability not folded: %+v", got)
	}
	// A local name cannot be taken by an external agent, or vice versa.
	if _, err := tb.Put(Entry{Name: "echo-1", Capabilities: []string{"x"}, External: true}, t0); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("got %v", err)
	}
	if _, err := tb.Put(Entry{Name: "ext", Capabilities: []string{"x"}, External: true, Capacity: 2}, t0); err != nil {
		t.Fatal(err)
	}
	first, _ := tb.Get("ext")
	// Re-registering an external agent keeps its load and actor.
	if _, err := tb.Put(Entry{Name: "ext", Capabilities: []string{"y"}, External: true, Capacity: 2}, t0); err != nil {
		t.Fatal(err)
	}
	second, _ := tb.Get("ext")
	if second.Load != first.Load {
		t.Fatal("load not carried over")
	}
	if len(tb.Snapshot().Candidates("x")) != 0 || len(tb.Snapshot().Candidates("y")) != 1 {
		t.Fatal("capabilities not replaced")
	}
	for _, bad := range []Entry{
		{Name: "", Capabilities: []string{"a"}},
		{Name: "n"},
		{Name: "n", Capabilities: []string{"a.b"}},
	} {
		if _, err := tb.Put(bad, t0); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestAcquireBalancesAndBounds(t *testing.T) {
	tb := NewTable()
	for _, n := range []string{"a", "b", "c"} {
		if _, err := tb.Put(Entry{Name: n, Capabilities: []string{"cap"}, Capacity: 2}, t0); err != nil {
			t.Fatal(err)
		}
	}
	s := tb.Snapshot()
	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		e, err := s.Acquire("cap", "")
		if err != nil {
			t.Fatalf("acquire %d: %v", i, err)
		}
		seen[e.Name]++
	}
	// Least loaded first: six admissions fill every agent to its bound.
	for _, n := range []string{"a", "b", "c"} {
		if seen[n] != 2 {
			t.Fatalf("uneven admission %v", seen)
		}
	}
	if _, err := s.Acquire("cap", ""); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("got %v, want overloaded", err)
	}
	e, _ := tb.Get("b")
	e.Load.Release()
	got, err := s.Acquire("cap", "")
	if err != nil || got.Name != "b" {
		t.Fatalf("got %v %v, want b", got, err)
	}
	if _, err := s.Acquire("nope", ""); !errors.Is(err, ErrUnknownCapability) {
		t.Fatalf("got %v", err)
	}
}

func TestAcquireExclude(t *testing.T) {
	tb := NewTable()
	_, _ = tb.Put(Entry{Name: "only", Capabilities: []string{"cap"}, Capacity: 1}, t0)
	if _, err := tb.Snapshot().Acquire("cap", "only"); !errors.Is(err, ErrUnknownCapability) {
		t.Fatalf("got %v", err)
	}
	_, _ = tb.Put(Entry{Name: "other", Capabilities: []string{"cap"}, Capacity: 1}, t0)
	for i := 0; i < 3; i++ {
		e, err := tb.Snapshot().Acquire("cap", "only")
		if err != nil || e.Name != "other" {
			t.Fatalf("got %v %v", e, err)
		}
		e.Load.Release()
	}
}

func TestExpireDropsSilentExternals(t *testing.T) {
	tb := NewTable()
	_, _ = tb.Put(Entry{Name: "local", Capabilities: []string{"c"}}, t0)
	_, _ = tb.Put(Entry{Name: "ext", Capabilities: []string{"c"}, External: true, Heartbeat: time.Second}, t0)
	if gone, _ := tb.Expire(t0.Add(3*time.Second), 3); len(gone) != 0 {
		t.Fatalf("expired too early: %v", gone)
	}
	if !tb.Touch("ext", t0.Add(3*time.Second)) || tb.Touch("ghost", t0) {
		t.Fatal("touch")
	}
	if gone, _ := tb.Expire(t0.Add(6*time.Second), 3); len(gone) != 0 {
		t.Fatal("heartbeat ignored")
	}
	gone, snap := tb.Expire(t0.Add(6*time.Second+time.Millisecond), 3)
	if len(gone) != 1 || gone[0].Name != "ext" || len(snap.Candidates("c")) != 1 {
		t.Fatalf("gone %v", gone)
	}
	if _, _, err := tb.Remove("ext"); !errors.Is(err, ErrUnknownAgent) {
		t.Fatalf("got %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := &messages.TaskCard{Capability: "echo", Input: make([]byte, 10)}
	if r := Validate(ok, t0, 10, "n"); r != nil {
		t.Fatalf("rejected %v", r)
	}
	cases := []struct {
		card *messages.TaskCard
		code string
	}{
		{&messages.TaskCard{}, messages.CodeMissingCapability},
		{&messages.TaskCard{Capability: "a.b"}, messages.CodeUnknownCapability},
		{&messages.TaskCard{Capability: "echo", Input: make([]byte, 11)}, messages.CodeTooLarge},
	}
	for _, c := range cases {
		if r := Validate(c.card, t0, 10, "n"); r == nil || r.ErrorCode != c.code || r.State != messages.TaskState_TASK_STATE_REJECTED {
			t.Errorf("%v: got %v", c.card, r)
		}
	}
	late := &messages.TaskCard{Capability: "echo"}
	late.Deadline = timestamp(t0)
	if r := Validate(late, t0, 10, "n"); r == nil || r.ErrorCode != messages.CodeDeadlineExceeded || r.State != messages.TaskState_TASK_STATE_FAILED {
		t.Fatalf("got %v", r)
	}
}

func TestRetryable(t *testing.T) {
	idem := &messages.TaskCard{Idempotent: true}
	once := &messages.TaskCard{}
	for _, c := range []struct {
		card *messages.TaskCard
		code string
		want bool
	}{
		{once, messages.CodeAgentUnavailable, true},
		{once, messages.CodeAgentLost, false},
		{idem, messages.CodeAgentLost, true},
		{idem, messages.CodeAgentFailed, false},
		{idem, messages.CodeDeadlineExceeded, false},
	} {
		if got := Retryable(c.card, &messages.TaskResult{ErrorCode: c.code}); got != c.want {
			t.Errorf("idempotent=%v %s: %v", c.card.Idempotent, c.code, got)
		}
	}
}
