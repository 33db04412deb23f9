package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func states(ts []Transition) []State {
	var out []State
	for _, t := range ts {
		out = append(out, t.To)
	}
	return out
}

func TestMemberLifecycle(t *testing.T) {
	ms, err := NewMembers(testDetector())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	beat := func(n int) {
		for i := 0; i < n; i++ {
			if tr := ms.Heartbeat("b", now); len(tr) != 0 {
				t.Fatalf("steady heartbeat changed state: %v", tr)
			}
			if tr := ms.Tick(now); len(tr) != 0 {
				t.Fatalf("tick with a live member: %v", tr)
			}
			now = now.Add(100 * time.Millisecond)
		}
	}
	if tr := ms.Join("b", now); len(tr) != 1 || tr[0].To != Joining || tr[0].From != 0 {
		t.Fatalf("join: %v", tr)
	}
	if tr := ms.Heartbeat("b", now); len(tr) != 1 || tr[0].To != Active {
		t.Fatalf("first heartbeat: %v", tr)
	}
	now = now.Add(100 * time.Millisecond)
	beat(30)
	// Silence (a SIGSTOP): SUSPECT, then a heartbeat brings it back.
	var got []Transition
	for i := 0; i < 100 && len(got) == 0; i++ {
		now = now.Add(20 * time.Millisecond)
		got = ms.Tick(now)
	}
	if len(got) != 1 || got[0].To != Suspect || got[0].Phi < 8 || got[0].Reason != ReasonSilent {
		t.Fatalf("silence: %v", got)
	}
	if v, _ := ms.Get("b", now); v.State.Routable() {
		t.Fatal("a SUSPECT member is routable")
	}
	if tr := ms.Heartbeat("b", now); len(tr) != 1 || tr[0].From != Suspect || tr[0].To != Active {
		t.Fatalf("resume: %v", tr)
	}
	now = now.Add(100 * time.Millisecond)
	beat(30)
	// Longer silence (a kill -9): SUSPECT then DEAD.
	var all []Transition
	for i := 0; i < 1000; i++ {
		now = now.Add(20 * time.Millisecond)
		all = append(all, ms.Tick(now)...)
	}
	if s := states(all); len(s) != 2 || s[0] != Suspect || s[1] != Dead {
		t.Fatalf("failure: %v", all)
	}
	// A member dead by silence that heartbeats again is back, through
	// JOINING.
	if tr := ms.Heartbeat("b", now); len(tr) != 2 || tr[0].From != Dead || tr[0].To != Joining || tr[1].To != Active {
		t.Fatalf("heartbeat after death: %v", tr)
	}
	// A graceful leave is DEAD with reason left, at once; a stray
	// heartbeat after it changes nothing: it must join again.
	if tr := ms.Leave("b", now); len(tr) != 1 || tr[0].To != Dead || tr[0].Reason != ReasonLeft {
		t.Fatalf("leave: %v", tr)
	}
	if tr := ms.Leave("b", now); tr != nil {
		t.Fatalf("second leave: %v", tr)
	}
	if tr := ms.Heartbeat("b", now); len(tr) != 0 {
		t.Fatalf("heartbeat after leaving: %v", tr)
	}
	if tr := ms.Join("b", now); len(tr) != 1 || tr[0].From != Dead || tr[0].To != Joining {
		t.Fatalf("rejoin: %v", tr)
	}
	if tr := ms.Heartbeat("b", now); len(tr) != 1 || tr[0].To != Active {
		t.Fatalf("rejoined heartbeat: %v", tr)
	}
	ms.Leave("b", now)
	if _, err := ms.Get("nobody", now); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("unknown: %v", err)
	}
	if l := ms.List(now); len(l) != 1 || l[0].ID != "b" || l[0].State != Dead {
		t.Fatalf("list: %+v", l)
	}
}

func TestDetectorConfigNamesTheField(t *testing.T) {
	for field, mutate := range map[string]func(*DetectorConfig){
		"heartbeat_interval": func(c *DetectorConfig) { c.HeartbeatInterval = 0 },
		"window":             func(c *DetectorConfig) { c.Window = 1 },
		"min_std_dev":        func(c *DetectorConfig) { c.MinStdDev = 0 },
		"acceptable_pause":   func(c *DetectorConfig) { c.AcceptablePause = -1 },
		"suspect_phi":        func(c *DetectorConfig) { c.SuspectPhi = 0 },
		"dead_phi":           func(c *DetectorConfig) { c.DeadPhi = c.SuspectPhi },
	} {
		c := DefaultDetectorConfig()
		mutate(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := DefaultDetectorConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestTopologyHoldsSelfAndActiveMembers(t *testing.T) {
	mk := func(id string, st State, self bool, remote string) Member {
		return Member{MemberView: MemberView{ID: id, State: st}, Self: self,
			Meta: Meta{NodeID: id, Remote: remote, ActorID: "sys-" + id, Kinds: []string{"session"}}}
	}
	got := Topology([]Member{
		mk("a", Active, true, "127.0.0.1:7000"),
		mk("b", Active, false, "127.0.0.1:7001"),
		mk("c", Suspect, false, "127.0.0.1:7002"),
		mk("d", Dead, false, "127.0.0.1:7003"),
		mk("e", Joining, false, "127.0.0.1:7004"),
		mk("f", Active, false, "no-port"),
	})
	if len(got) != 2 || got[0].Id != "sys-a" || got[1].Id != "sys-b" || got[1].Port != 7001 || got[1].Kinds[0] != "session" {
		t.Fatalf("topology %v", got)
	}
}

func TestGossipFailureIsSuspicionUntilPhiSaysDead(t *testing.T) {
	ms, _ := NewMembers(testDetector())
	now := time.Unix(1000, 0)
	ms.Join("b", now)
	for i := 0; i < 20; i++ {
		ms.Heartbeat("b", now)
		now = now.Add(100 * time.Millisecond)
	}
	if tr := ms.Fail("b", now); len(tr) != 1 || tr[0].To != Suspect || tr[0].Reason != ReasonFailed {
		t.Fatalf("gossip failure: %v", tr)
	}
	var dead []Transition
	for i := 0; i < 200 && len(dead) == 0; i++ {
		now = now.Add(20 * time.Millisecond)
		dead = ms.Tick(now)
	}
	if len(dead) != 1 || dead[0].To != Dead {
		t.Fatalf("phi after gossip failure: %v", dead)
	}
	// A member that never heartbeated has no phi to wait for.
	ms.Join("c", now)
	if tr := ms.Fail("c", now); len(tr) != 1 || tr[0].To != Dead {
		t.Fatalf("joining member failed: %v", tr)
	}
}
