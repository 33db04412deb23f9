package durable

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/store"
)

type liveNode struct {
	s   *store.Store
	c   *store.Committer
	sys *actor.ActorSystem
	pid *actor.PID
	hs  *store.Heads
	ds  *store.DAGStore
}

func startLive(t *testing.T, dir string, idle time.Duration) *liveNode {
	t.Helper()
	s, err := store.Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.NewCommitter()
	hs, _ := store.NewHeads(s, c)
	ds, _ := store.NewDAGStore(s, c)
	sys := actor.NewActorSystem()
	pid, err := sys.Root.SpawnNamed(Sessions(LiveConfig{NodeID: "node-a", Nodes: ds, Heads: hs, Commit: c, Idle: idle,
		Logger: sys.Logger()}), "sessions")
	if err != nil {
		t.Fatal(err)
	}
	return &liveNode{s: s, c: c, sys: sys, pid: pid, hs: hs, ds: ds}
}

func (n *liveNode) stop() {
	_ = n.sys.Root.StopFuture(n.pid).Wait()
	n.sys.Shutdown()
	n.c.Stop()
	n.s.Close()
}

func (n *liveNode) ask(t *testing.T, m any) *messages.SessionHead {
	t.Helper()
	v, err := n.sys.Root.RequestFuture(n.pid, m, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	return v.(*messages.SessionHead)
}

func recordHead(i int) []byte {
	h := session.HashPayload([]byte{byte(i)})
	return h[:]
}

func TestSessionActorsLinkRecordsPassivateAndReload(t *testing.T) {
	dir := t.TempDir()
	n := startLive(t, dir, 50*time.Millisecond)
	for i := 1; i <= 3; i++ {
		h := n.ask(t, &messages.SessionAppend{SessionId: "s1", RecordId: "s1/t", RecordHead: recordHead(i)})
		if h.GetError() != "" || h.GetRecords() != uint64(i) || session.State(h.GetState()) != session.Active {
			t.Fatalf("append %d: %v", i, h)
		}
	}
	// The session DAG verifies and holds each record head in a merge.
	rec, err := NewHeadStore(n.hs).Resume(SessionDAGID("s1"), New(n.ds))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Proof()
	if err := session.VerifyProof(p); err != nil || len(p.Nodes) != 8 {
		t.Fatalf("session DAG: %d nodes, %v", len(p.Nodes), err)
	}
	merges := 0
	for _, nd := range p.Nodes {
		if len(nd.Parents) == 2 {
			merges++
		}
	}
	if merges != 3 {
		t.Fatalf("%d merges", merges)
	}
	// Idle: the actor passivates; the next message reloads it from the store.
	child := actor.NewPID(n.sys.Address(), "sessions/"+childName("s1"))
	gone := func() bool { p, _ := n.sys.ProcessRegistry.Get(child); return p == n.sys.DeadLetter }
	for deadline := time.Now().Add(5 * time.Second); !gone(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("idle session actor did not passivate")
		}
	}
	h := n.ask(t, &messages.SessionAppend{SessionId: "s1", RecordId: "s1/t4", RecordHead: recordHead(4)})
	if h.GetError() != "" || h.GetRecords() != 4 {
		t.Fatalf("append after passivation: %v", h)
	}
	// Close commits; later appends and closes are refused; bad input too.
	closed := n.ask(t, &messages.SessionClose{SessionId: "s1"})
	if closed.GetError() != "" || session.State(closed.GetState()) != session.Committed || closed.GetRecords() != 4 {
		t.Fatalf("close: %v", closed)
	}
	if h := n.ask(t, &messages.SessionAppend{SessionId: "s1", RecordId: "x", RecordHead: recordHead(5)}); !strings.Contains(h.GetError(), "committed") {
		t.Fatalf("append to committed: %v", h)
	}
	if h := n.ask(t, &messages.SessionClose{SessionId: "s1"}); h.GetError() == "" {
		t.Fatal("second close accepted")
	}
	if h := n.ask(t, &messages.SessionAppend{SessionId: "s2", RecordHead: []byte{1, 2}}); h.GetError() == "" {
		t.Fatal("short record head accepted")
	}
	if h := n.ask(t, &messages.SessionClose{SessionId: "never"}); h.GetError() == "" {
		t.Fatal("closed a session with no records")
	}
	n.stop()

	// Restart: the same committed head, from the store alone.
	n = startLive(t, dir, time.Minute)
	defer n.stop()
	got, err := NewHeadStore(n.hs).Load(SessionDAGID("s1"))
	if err != nil || got.State != session.Committed || string(got.Head[:]) != string(closed.GetHead()) {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if h := n.ask(t, &messages.SessionAppend{SessionId: "s1", RecordId: "y", RecordHead: recordHead(6)}); !strings.Contains(h.GetError(), "committed") {
		t.Fatalf("committed session reopened: %v", h)
	}
	if _, err := NewHeadStore(n.hs).Load(SessionDAGID("never")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused close left a record: %v", err)
	}
}

func TestSessionDAGMovesWithItsGrain(t *testing.T) {
	x := startLive(t, t.TempDir(), time.Minute)
	defer x.stop()
	for i := 1; i <= 2; i++ {
		if h := x.ask(t, &messages.SessionAppend{SessionId: "s", RecordId: "s/t", RecordHead: recordHead(i)}); h.GetError() != "" {
			t.Fatal(h.GetError())
		}
	}
	fromX := func(id string) (*session.Proof, error) {
		s, err := NewHeadStore(x.hs).Resume(SessionDAGID(id), New(x.ds))
		if err != nil {
			return nil, err
		}
		return s.Proof(), nil
	}
	// Member y, where the session's grain lands next, has no DAG for it:
	// it adopts x's and goes on from x's head.
	dir := t.TempDir()
	s, err := store.Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.NewCommitter()
	hs, _ := store.NewHeads(s, c)
	ds, _ := store.NewDAGStore(s, c)
	sys := actor.NewActorSystem()
	pid, err := sys.Root.SpawnNamed(Sessions(LiveConfig{NodeID: "node-y", Nodes: ds, Heads: hs, Commit: c, Fetch: fromX,
		Logger: sys.Logger()}), "sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sys.Shutdown(); c.Stop(); s.Close() }()
	v, err := sys.Root.RequestFuture(pid, &messages.SessionAppend{SessionId: "s", RecordId: "s/t3", RecordHead: recordHead(3)}, 5*time.Second).Result()
	h := v.(*messages.SessionHead)
	if err != nil || h.GetError() != "" || h.GetRecords() != 3 {
		t.Fatalf("append on y: %v %v", h, err)
	}
	got, err := NewHeadStore(hs).Resume(SessionDAGID("s"), New(ds))
	if err != nil {
		t.Fatal(err)
	}
	xp, _ := fromX("s")
	p := got.Proof()
	if err := session.VerifyProof(p); err != nil || p.Nodes[0].Hash() != xp.Nodes[0].Hash() || len(p.Nodes) != len(xp.Nodes)+2 {
		t.Fatalf("y's DAG does not continue x's: %d vs %d nodes, %v", len(p.Nodes), len(xp.Nodes), err)
	}
	// A session no member has starts fresh.
	v, _ = sys.Root.RequestFuture(pid, &messages.SessionAppend{SessionId: "new", RecordId: "new/t", RecordHead: recordHead(9)}, 5*time.Second).Result()
	if h := v.(*messages.SessionHead); h.GetError() != "" || h.GetRecords() != 1 {
		t.Fatalf("fresh session: %v", h)
	}
}
