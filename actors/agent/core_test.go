package agent

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCoreBeginHonoursDeadline(t *testing.T) {
	c := &Core{Name: "a", NodeID: "n"}
	card := &messages.TaskCard{Id: "t", Deadline: timestamppb.New(t0.Add(time.Second))}
	if r := c.Begin(card, t0); r != nil {
		t.Fatalf("rejected in time: %v", r)
	}
	r := c.Begin(card, t0.Add(time.Second))
	if r == nil || r.State != messages.TaskState_TASK_STATE_FAILED || r.ErrorCode != messages.CodeDeadlineExceeded || r.TaskId != "t" {
		t.Fatalf("got %v", r)
	}
	if c.Failed.Load() != 1 {
		t.Fatal("not counted")
	}
}

func TestCoreFinish(t *testing.T) {
	c := &Core{Name: "a", NodeID: "n"}
	card := &messages.TaskCard{Id: "t", SessionId: "s", TraceId: "tr"}
	r := c.Finish(card, Output{Data: []byte("x"), MediaType: "text/plain"}, nil, t0, t0.Add(time.Millisecond))
	if r.State != messages.TaskState_TASK_STATE_COMPLETED || string(r.Output) != "x" || r.Agent != "a" || r.NodeId != "n" ||
		r.SessionId != "s" || r.TraceId != "tr" || r.Timings.Run.AsDuration() != time.Millisecond {
		t.Fatalf("got %v", r)
	}
	for err, code := range map[error]string{
		fmt.Errorf("%w: kaboom", ErrPanic):  messages.CodeAgentPanic,
		fmt.Errorf("%w: slow", ErrDeadline): messages.CodeDeadlineExceeded,
		errors.New("bad input"):             messages.CodeAgentFailed,
	} {
		r := c.Finish(card, Output{Data: []byte("ignored")}, err, t0, t0)
		if r.State != messages.TaskState_TASK_STATE_FAILED || r.ErrorCode != code || len(r.Output) != 0 {
			t.Errorf("%v: got %v", err, r)
		}
	}
	if c.Completed.Load() != 1 || c.Panics.Load() != 1 || c.Failed.Load() != 2 {
		t.Fatalf("counters %d %d %d", c.Completed.Load(), c.Panics.Load(), c.Failed.Load())
	}
}

func TestBackoffDoublesToMax(t *testing.T) {
	b := Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond, Window: time.Minute}
	want := []time.Duration{10, 10, 20, 40, 80, 100, 100}
	for i, w := range want {
		if got := b.Delay(i); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %s, want %s", i, got, w*time.Millisecond)
		}
	}
	if got := b.Delay(1000); got != b.Max {
		t.Fatalf("no overflow guard: %s", got)
	}
	if err := DefaultBackoff().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Backoff{{Initial: 0, Max: 1, Window: 1}, {Initial: 2, Max: 1, Window: 1}, {Initial: 1, Max: 1}} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidBackoff) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestKinds(t *testing.T) {
	k := BuiltinKinds()
	h, err := k.Build(Spec{Name: "e", Kind: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Handle(t.Context(), &messages.TaskCard{Input: []byte("in")})
	if err != nil || string(out.Data) != "in" || out.MediaType != "application/octet-stream" {
		t.Fatalf("echo: %v %v", out, err)
	}
	if _, err := k.Build(Spec{Kind: "shell"}); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("got %v", err)
	}
}
