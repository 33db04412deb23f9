package session

import (
	"errors"
	"testing"
	"time"
)

func TestLifecycle(t *testing.T) {
	ok := mustHash(t)
	st := NewMemStore()
	s, err := Create("s", st, at(0))
	if err != nil {
		t.Fatal(err)
	}
	if s.State() != Init || s.Head() != s.Root() || st.Len() != 1 {
		t.Fatalf("fresh session: state %s, %d stored", s.State(), st.Len())
	}
	pl := HashPayload([]byte("x"))
	// Every operation but Begin is illegal from init.
	for name, op := range map[string]func() (Hash, error){
		"StartCompute": func() (Hash, error) { return s.StartCompute(pl, at(1)) },
		"Validate":     func() (Hash, error) { return s.Validate(pl, at(1)) },
		"Commit":       func() (Hash, error) { return s.Commit(pl, at(1)) },
		"Advance":      func() (Hash, error) { return s.Advance(Computing, pl, at(1)) },
		"Branch":       func() (Hash, error) { return s.Branch(s.Root(), pl, at(1)) },
	} {
		if _, err := op(); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("%s from init: %v, want ErrIllegalTransition", name, err)
		}
	}
	if st.Len() != 1 || s.Len() != 1 {
		t.Fatalf("failed operations stored nodes: %d / %d", st.Len(), s.Len())
	}
	steps := []struct {
		op   func(Hash, time.Time) (Hash, error)
		want State
	}{
		{s.Begin, Active}, {s.StartCompute, Computing}, {s.Validate, Validated}, {s.Commit, Committed},
	}
	for i, step := range steps {
		h := ok(step.op(HashPayload([]byte{byte(i)}), at(i+1)))
		if s.Head() != h || s.State() != step.want {
			t.Fatalf("step %d: head %s state %s, want %s", i, s.Head(), s.State(), step.want)
		}
		if err := VerifyProof(s.Proof()); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		// Repeating a step is illegal (only active -> active is a loop).
		if _, err := step.op(HashPayload([]byte{9}), at(i+1)); err == nil {
			t.Fatalf("step %d repeated", i)
		}
	}
	if !s.Committed() {
		t.Fatal("not committed")
	}
	if _, err := s.Append([]Hash{s.Head()}, Active, pl, at(9)); !errors.Is(err, ErrCommitted) {
		t.Fatalf("append after commit: %v", err)
	}
	if _, err := s.Branch(s.Proof().Nodes[1].Hash(), pl, at(9)); !errors.Is(err, ErrCommitted) {
		t.Fatalf("branch after commit: %v", err)
	}
	if p := s.Proof(); len(p.Nodes) != 5 || p.State() != Committed || !p.HasPayload(HashPayload([]byte{2})) {
		t.Fatalf("proof: %d nodes, state %s", len(p.Nodes), p.State())
	}
}

func TestBranchAndMerge(t *testing.T) {
	s := fullSession(t)
	p := s.Proof()
	if err := VerifyProof(p); err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 9 || s.Len() != 9 {
		t.Fatalf("proof has %d nodes, session %d, want 9", len(p.Nodes), s.Len())
	}
	merges := 0
	for _, n := range p.Nodes {
		if len(n.Parents) == 2 {
			merges++
		}
	}
	if merges != 1 {
		t.Fatalf("%d merge nodes", merges)
	}
	if tips := s.Tips(); len(tips) != 1 || tips[0] != s.Head() {
		t.Fatalf("tips %v, head %s", tips, s.Head())
	}
}

func TestBranchRules(t *testing.T) {
	ok := mustHash(t)
	s, _ := Create("s", NewMemStore(), at(0))
	a := ok(s.Begin(Hash{1}, at(1)))
	b1 := ok(s.Branch(a, Hash{2}, at(2)))
	b2 := ok(s.Branch(a, Hash{3}, at(2)))
	if s.Head() != a {
		t.Fatal("Branch moved the head")
	}
	if tips := s.Tips(); len(tips) != 2 {
		t.Fatalf("tips = %d, want 2", len(tips))
	}
	c := ok(s.StartCompute(Hash{4}, at(3))) // head a -> computing: a third child of a
	if _, err := s.Branch(c, Hash{5}, at(4)); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("branch from computing: %v", err)
	}
	if _, err := s.Merge([]Hash{b1, c}, Hash{5}, at(4)); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("merge with a computing parent: %v", err)
	}
	if _, err := s.Merge([]Hash{b1}, Hash{5}, at(4)); !errors.Is(err, ErrParents) {
		t.Fatalf("merge of one: %v", err)
	}
	if _, err := s.Merge([]Hash{b1, b1}, Hash{5}, at(4)); !errors.Is(err, ErrParents) {
		t.Fatalf("merge with a duplicate parent: %v", err)
	}
	if _, err := s.Merge([]Hash{b1, {7}}, Hash{5}, at(4)); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("merge with an unknown parent: %v", err)
	}
	if _, err := s.Merge([]Hash{b1, b2}, Hash{5}, at(1)); !errors.Is(err, ErrTimestamp) {
		t.Fatalf("merge before its parents: %v", err)
	}
	// The order of the parents does not change the merge node.
	m1, err := NewNode(Active, at(5), []Hash{b1, b2}, Hash{6})
	if err != nil {
		t.Fatal(err)
	}
	m := ok(s.Merge([]Hash{b2, b1}, Hash{6}, at(5)))
	if m != m1.Hash() || s.Head() != m {
		t.Fatal("merge hash depends on parent order")
	}
	if err := s.Checkout(c); err != nil || s.State() != Computing {
		t.Fatalf("checkout: %v", err)
	}
	if err := s.Checkout(Hash{9}); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("checkout unknown: %v", err)
	}
	for _, tip := range s.Tips() {
		p, err := s.ProofFor(tip)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyProof(p); err != nil {
			t.Fatalf("tip %s: %v", tip, err)
		}
	}
	if _, err := s.ProofFor(Hash{9}); !errors.Is(err, ErrUnknownNode) {
		t.Fatal(err)
	}
}

func TestCreateRejects(t *testing.T) {
	if _, err := Create("", NewMemStore(), at(0)); !errors.Is(err, ErrInvalidID) {
		t.Fatal(err)
	}
	if _, err := Create(string(make([]byte, MaxIDLen+1)), NewMemStore(), at(0)); !errors.Is(err, ErrInvalidID) {
		t.Fatal(err)
	}
	if _, err := Create("s", NewMemStore(), time.Time{}); !errors.Is(err, ErrTimestamp) {
		t.Fatalf("zero time: %v", err)
	}
}

type failStore struct {
	*MemStore
	fail bool
}

var errDisk = errors.New("disk full")

func (f *failStore) Put(h Hash, b []byte) error {
	if f.fail {
		return errDisk
	}
	return f.MemStore.Put(h, b)
}

func TestStoreFailureLeavesSessionUnchanged(t *testing.T) {
	st := &failStore{MemStore: NewMemStore()}
	s, err := Create("s", st, at(0))
	if err != nil {
		t.Fatal(err)
	}
	head := s.Head()
	st.fail = true
	if _, err := s.Begin(Hash{1}, at(1)); !errors.Is(err, errDisk) {
		t.Fatalf("Begin with failing store: %v", err)
	}
	if s.Head() != head || s.Len() != 1 || s.State() != Init {
		t.Fatal("session changed although the store failed")
	}
	st.fail = false
	if _, err := s.Begin(Hash{1}, at(1)); err != nil {
		t.Fatal(err)
	}
}

func TestResume(t *testing.T) {
	s := fullSession(t)
	r, err := Resume(s.ID(), s.store, s.Head())
	if err != nil {
		t.Fatal(err)
	}
	if r.Head() != s.Head() || r.Root() != s.Root() || r.Len() != s.Len() || !r.Committed() {
		t.Fatalf("resumed: head %s root %s len %d", r.Head(), r.Root(), r.Len())
	}
	p1, _ := s.Proof().MarshalJSON()
	p2, _ := r.Proof().MarshalJSON()
	if string(p1) != string(p2) {
		t.Fatal("resumed session gives a different proof")
	}
	// Under another id the root binding fails.
	if _, err := Resume("other", s.store, s.Head()); !errors.Is(err, ErrProof) {
		t.Fatalf("resume under another id: %v", err)
	}
	if _, err := Resume(s.ID(), s.store, Hash{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resume unknown head: %v", err)
	}
	// A stored node that does not match its hash is detected.
	st := s.store.(*MemStore)
	victim := s.Proof().Nodes[3].Hash()
	b, _ := st.Get(victim)
	b[len(b)-1] ^= 1
	st.Put(victim, b)
	if _, err := Resume(s.ID(), st, s.Head()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("resume over a corrupt node: %v", err)
	}
}

func TestResumeKeepsBranches(t *testing.T) {
	ok := mustHash(t)
	s, _ := Create("s", NewMemStore(), at(0))
	a := ok(s.Begin(Hash{1}, at(1)))
	b := ok(s.Branch(a, Hash{2}, at(2)))
	ok(s.Advance(Active, Hash{3}, at(2)))
	r, err := Resume("s", s.store, s.Head(), b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 4 || len(r.Tips()) != 2 || r.Head() != s.Head() {
		t.Fatalf("resumed %d nodes, %d tips", r.Len(), len(r.Tips()))
	}
	if _, err := r.Merge(r.Tips(), Hash{4}, at(3)); err != nil {
		t.Fatal(err)
	}
}
