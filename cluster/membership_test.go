package cluster

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"
)

func fastDetector() DetectorConfig {
	c := DefaultDetectorConfig()
	c.HeartbeatInterval = 50 * time.Millisecond
	c.MinStdDev = 20 * time.Millisecond
	c.AcceptablePause = 100 * time.Millisecond
	return c
}

type recorder struct {
	mu sync.Mutex
	tr []Transition
}

func (r *recorder) add(t Transition, _ Meta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tr = append(r.tr, t)
}

func (r *recorder) saw(id string, to State, reason string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tr {
		if t.ID == id && t.To == to && (reason == "" || t.Reason == reason) {
			return true
		}
	}
	return false
}

func startMember(t *testing.T, id string, caps []string, keys []string, join ...string) (*Membership, *recorder) {
	t.Helper()
	return startMemberAt(t, "127.0.0.1:0", id, caps, keys, join...)
}

func startMemberAt(t *testing.T, gossip, id string, caps []string, keys []string, join ...string) (*Membership, *recorder) {
	t.Helper()
	rec := &recorder{}
	m, err := Start(Config{Self: Meta{NodeID: id, Capabilities: caps, Key: "ed25519:" + id}, Gossip: gossip,
		Join: join, Keys: keys, Detector: fastDetector(), OnTransition: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m, rec
}

func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stateOf(m *Membership, id string) State {
	mb, ok := m.Member(id)
	if !ok {
		return 0
	}
	return mb.State
}

func TestThreeMembersJoinRouteFailAndLeave(t *testing.T) {
	a, recA := startMember(t, "a", []string{"echo"}, nil)
	b, _ := startMember(t, "b", nil, nil, a.Addr())
	c, _ := startMember(t, "c", []string{"upper"}, nil, a.Addr())
	for _, m := range []*Membership{a, b, c} {
		pollUntil(t, m.Self().NodeID+" sees every member ACTIVE", func() bool {
			n := 0
			for _, mb := range m.Members() {
				if mb.State == Active {
					n++
				}
			}
			return n == 3
		})
	}
	if got := a.Candidates("upper"); len(got) != 1 || got[0].ID != "c" || got[0].Meta.Key != "ed25519:c" {
		t.Fatalf("candidates for upper: %+v", got)
	}
	if got := a.Candidates("echo"); len(got) != 0 {
		t.Fatalf("a is offered itself: %+v", got)
	}
	// Capabilities change: gossip carries it.
	if err := b.SetCapabilities([]string{"upper", "echo", "upper"}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "a sees b's new capability", func() bool { return len(a.Candidates("upper")) == 2 })
	// c fails (no leave): SUSPECT, then DEAD, and it gets no work.
	c.Stop()
	pollUntil(t, "c suspected", func() bool { return recA.saw("c", Suspect, "") })
	pollUntil(t, "c dead", func() bool { return stateOf(a, "c") == Dead })
	if got := a.Candidates("upper"); len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("candidates after c died: %+v", got)
	}
	// b leaves gracefully: a sees it left, not failed.
	if err := b.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	b.Stop() // safe after Leave
	pollUntil(t, "b left", func() bool { return recA.saw("b", Dead, ReasonLeft) })
	if recA.saw("b", Suspect, "") {
		t.Fatal("a graceful leave was seen as a failure")
	}
	// c restarts on its address: JOINING, then ACTIVE.
	startMemberAt(t, c.Addr(), "c", []string{"upper"}, nil, a.Addr())
	pollUntil(t, "c rejoined", func() bool { return stateOf(a, "c") == Active })
	if !recA.saw("c", Joining, ReasonJoined) {
		t.Fatal("rejoin did not pass through JOINING")
	}
}

func newKey(t *testing.T) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestGossipKeyRotationWithoutDowntime(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	a, recA := startMember(t, "a", nil, []string{k1})
	b, _ := startMember(t, "b", []string{"x"}, []string{k1}, a.Addr())
	pollUntil(t, "b active", func() bool { return stateOf(a, "b") == Active })
	// A member with the wrong key cannot join.
	if _, err := Start(Config{Self: Meta{NodeID: "intruder"}, Gossip: "127.0.0.1:0", Join: []string{a.Addr()},
		Keys: []string{newKey(t)}, Detector: fastDetector()}); err == nil {
		t.Fatal("a member with another key joined")
	}
	// Rotate: install everywhere, use everywhere, remove the old one.
	for _, step := range []func(m *Membership) error{
		func(m *Membership) error { return m.InstallKey(k2) },
		func(m *Membership) error { return m.UseKey(k2) },
		func(m *Membership) error { return m.RemoveKey(k1) },
	} {
		for _, m := range []*Membership{a, b} {
			if err := step(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Heartbeats keep flowing under the new key: b stays ACTIVE for a
	// few phi windows, and a member with only the new key can join.
	c, _ := startMember(t, "c", nil, []string{k2}, a.Addr())
	pollUntil(t, "c active under the new key", func() bool { return stateOf(a, "c") == Active && stateOf(c, "b") == Active })
	if recA.saw("b", Suspect, "") {
		t.Fatal("b was suspected during rotation")
	}
	if err := a.InstallKey("short"); err == nil {
		t.Fatal("bad key accepted")
	}
}

func TestStartRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no id":      {Gossip: "127.0.0.1:0", Detector: fastDetector()},
		"gossip":     {Self: Meta{NodeID: "a"}, Gossip: "nope", Detector: fastDetector()},
		"key":        {Self: Meta{NodeID: "a"}, Gossip: "127.0.0.1:0", Keys: []string{"AAAA"}, Detector: fastDetector()},
		"detector":   {Self: Meta{NodeID: "a"}, Gossip: "127.0.0.1:0"},
		"large meta": {Self: Meta{NodeID: "a", Capabilities: manyCaps()}, Gossip: "127.0.0.1:0", Detector: fastDetector()},
	} {
		if m, err := Start(cfg); err == nil {
			m.Stop()
			t.Errorf("%s: started", name)
		}
	}
}

func manyCaps() []string {
	var out []string
	for i := 0; i < 100; i++ {
		out = append(out, fmt.Sprintf("capability-%d", i))
	}
	return out
}
