package durable

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/store"
)

func testConfig() store.Config {
	c := store.DefaultConfig()
	c.CacheSize = 1 << 20
	c.MemTableSize = 1 << 20
	return c
}

type node struct {
	s  *store.Store
	ns NodeStore
	hs HeadStore
}

func open(t *testing.T, dir string) *node {
	t.Helper()
	s, err := store.Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.NewDAGStore(s, c)
	if err != nil {
		t.Fatal(err)
	}
	h, err := store.NewHeads(s, c)
	if err != nil {
		t.Fatal(err)
	}
	return &node{s: s, ns: New(d), hs: NewHeadStore(h)}
}

func TestSessionSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	n := open(t, dir)
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	tick := func() time.Time { now = now.Add(time.Millisecond); return now }

	// A committed session with a branch and a merge.
	done, err := session.Create("task-1", n.ns, tick())
	if err != nil {
		t.Fatal(err)
	}
	a, err := done.Begin(session.HashPayload([]byte("taskcard")), tick())
	if err != nil {
		t.Fatal(err)
	}
	b, err := done.Branch(a, session.HashPayload([]byte("alt")), tick())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := done.Merge([]session.Hash{a, b}, session.HashPayload([]byte("merge")), tick()); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func(session.Hash, time.Time) (session.Hash, error){done.StartCompute, done.Validate, done.Commit} {
		if _, err := step(session.HashPayload([]byte("step")), tick()); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.hs.Save(done, tick()); err != nil {
		t.Fatal(err)
	}
	// A live session with an open branch, passivated.
	live, err := session.Create("task-2", n.ns, tick())
	if err != nil {
		t.Fatal(err)
	}
	la, _ := live.Begin(session.HashPayload([]byte("t2")), tick())
	if _, err := live.Branch(la, session.HashPayload([]byte("t2 alt")), tick()); err != nil {
		t.Fatal(err)
	}
	if err := n.hs.Save(live, tick()); err != nil {
		t.Fatal(err)
	}
	if err := n.s.Close(); err != nil {
		t.Fatal(err)
	}

	n = open(t, dir)
	defer n.s.Close()
	got, err := n.hs.Resume("task-1", n.ns)
	if err != nil {
		t.Fatal(err)
	}
	if got.Head() != done.Head() || got.Root() != done.Root() || got.Len() != done.Len() || !got.Committed() {
		t.Fatalf("task-1 reloaded head %s len %d committed %v; want %s len %d", got.Head(), got.Len(), got.Committed(), done.Head(), done.Len())
	}
	if err := session.VerifyProof(got.Proof()); err != nil {
		t.Fatalf("proof of the reloaded session: %v", err)
	}
	got2, err := n.hs.Resume("task-2", n.ns)
	if err != nil {
		t.Fatal(err)
	}
	if got2.Head() != live.Head() || got2.Len() != live.Len() || fmt.Sprint(got2.Tips()) != fmt.Sprint(live.Tips()) || got2.State() != session.Active {
		t.Fatalf("task-2 reloaded head %s len %d tips %v state %s; want %s len %d tips %v",
			got2.Head(), got2.Len(), got2.Tips(), got2.State(), live.Head(), live.Len(), live.Tips())
	}
	// The reloaded live session keeps going and persists.
	if _, err := got2.StartCompute(session.HashPayload([]byte("go")), tick()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := n.hs.Scan(func(id string, r Record) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "task-1" || ids[1] != "task-2" {
		t.Fatalf("Scan ids %v", ids)
	}
}

func TestMissingAndCorruptNodes(t *testing.T) {
	n := open(t, t.TempDir())
	defer n.s.Close()
	var h session.Hash
	h[0] = 1
	_, err := n.ns.Get(h)
	if !errors.Is(err, session.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing node: %v", err)
	}
	if _, err := session.Resume("nope", n.ns, h); !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("Resume of a missing head: %v", err)
	}
	if _, err := n.hs.Load("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing record: %v", err)
	}
	// A node stored under the wrong hash is caught on reload.
	s, err := session.Create("task-3", n.ns, time.Unix(100, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.hs.Save(s, time.Unix(101, 0)); err != nil {
		t.Fatal(err)
	}
	if err := n.s.Put(store.DAGKey([32]byte(s.Head())), []byte("garbage"), store.Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := n.hs.Resume("task-3", n.ns); err == nil {
		t.Fatal("Resume accepted a damaged node")
	}
}
