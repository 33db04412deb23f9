package session

import (
	"bytes"
	"fmt"
	"sort"
	"time"
)

// MaxIDLen bounds the length of a session id in bytes.
const MaxIDLen = 256

// Session is one session's state machine and Merkle-DAG. It is not safe
// for concurrent use: a session actor owns it. Every node is written to the
// NodeStore before the session's in-memory view changes.
type Session struct {
	id       string
	store    NodeStore
	root     Hash
	head     Hash
	nodes    map[Hash]Node
	children map[Hash]int
	order    []Hash // insertion order, parents before children
	commit   bool
}

// Create starts a session: it writes the root node (state init, payload
// RootPayload(id), no parents) at time now.
func Create(id string, store NodeStore, now time.Time) (*Session, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	root, err := NewNode(Init, now, nil, RootPayload(id))
	if err != nil {
		return nil, err
	}
	s := &Session{id: id, store: store, nodes: make(map[Hash]Node), children: make(map[Hash]int)}
	h := root.Hash()
	if err := store.Put(h, root.Encode()); err != nil {
		return nil, err
	}
	s.add(h, root)
	s.root = h
	return s, nil
}

// Resume reloads a session from the store, given its head and the tips of
// any other branches to keep. The lineage of each is read, checked against
// its hashes and verified as a proof.
func Resume(id string, store NodeStore, head Hash, branches ...Hash) (*Session, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	s := &Session{id: id, store: store, nodes: make(map[Hash]Node), children: make(map[Hash]int)}
	for _, tip := range append([]Hash{head}, branches...) {
		if _, ok := s.nodes[tip]; ok {
			continue
		}
		p, err := proofFromStore(id, store, tip)
		if err != nil {
			return nil, err
		}
		if err := VerifyProof(p); err != nil {
			return nil, err
		}
		for _, n := range p.Nodes {
			h := n.Hash()
			if _, ok := s.nodes[h]; !ok {
				s.add(h, n)
			}
		}
		s.root = p.Nodes[0].Hash()
	}
	s.head = head
	return s, nil
}

func checkID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("%w: length %d not in [1,%d]", ErrInvalidID, len(id), MaxIDLen)
	}
	return nil
}

func (s *Session) add(h Hash, n Node) {
	s.nodes[h] = n
	s.order = append(s.order, h)
	for _, p := range n.Parents {
		s.children[p]++
	}
	if n.State == Committed {
		s.commit = true
	}
	if n.State == Init {
		s.head = h
	}
}

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// Root returns the root node's hash.
func (s *Session) Root() Hash { return s.root }

// Head returns the current head: the node the next transition starts from.
func (s *Session) Head() Hash { return s.head }

// State returns the head's state.
func (s *Session) State() State { return s.nodes[s.head].State }

// Committed reports whether the session reached committed; it is then
// immutable.
func (s *Session) Committed() bool { return s.commit }

// Node returns the node with hash h.
func (s *Session) Node(h Hash) (Node, bool) {
	n, ok := s.nodes[h]
	return n, ok
}

// Len returns the number of nodes.
func (s *Session) Len() int { return len(s.nodes) }

// Tips returns the nodes without children, in ascending hash order.
func (s *Session) Tips() []Hash {
	var tips []Hash
	for h := range s.nodes {
		if s.children[h] == 0 {
			tips = append(tips, h)
		}
	}
	sort.Slice(tips, func(i, j int) bool { return bytes.Compare(tips[i][:], tips[j][:]) < 0 })
	return tips
}

// Append adds a node in state to with the given parents, at time now. Each
// parent must be a node of the session, each parent -> to must be a legal
// transition, and now must not be earlier than any parent's timestamp. It
// does not move the head.
func (s *Session) Append(parents []Hash, to State, payload Hash, now time.Time) (Hash, error) {
	if s.commit {
		return Hash{}, ErrCommitted
	}
	if len(parents) == 0 {
		return Hash{}, fmt.Errorf("%w: a non-root node needs a parent", ErrParents)
	}
	n, err := NewNode(to, now, parents, payload)
	if err != nil {
		return Hash{}, err
	}
	for i, p := range n.Parents {
		pn, ok := s.nodes[p]
		if !ok {
			return Hash{}, fmt.Errorf("%w: %s", ErrUnknownNode, p)
		}
		if err := Transition(pn.State, to); err != nil {
			return Hash{}, err
		}
		if n.Timestamp < pn.Timestamp {
			return Hash{}, fmt.Errorf("%w: %v is before parent %d's %v", ErrTimestamp, n.Time(), i, pn.Time())
		}
	}
	h := n.Hash()
	if _, dup := s.nodes[h]; dup {
		return h, nil
	}
	if err := s.store.Put(h, n.Encode()); err != nil {
		return Hash{}, err
	}
	s.add(h, n)
	return h, nil
}

// Advance appends a node in state to whose only parent is the head, and
// makes it the head.
func (s *Session) Advance(to State, payload Hash, now time.Time) (Hash, error) {
	h, err := s.Append([]Hash{s.head}, to, payload, now)
	if err != nil {
		return Hash{}, err
	}
	s.head = h
	return h, nil
}

// Begin moves the head init -> active.
func (s *Session) Begin(payload Hash, now time.Time) (Hash, error) {
	return s.advanceFrom(Init, Active, payload, now)
}

// StartCompute moves the head active -> computing.
func (s *Session) StartCompute(payload Hash, now time.Time) (Hash, error) {
	return s.advanceFrom(Active, Computing, payload, now)
}

// Validate moves the head computing -> validated; payload is typically
// HashPayload of the result.
func (s *Session) Validate(payload Hash, now time.Time) (Hash, error) {
	return s.advanceFrom(Computing, Validated, payload, now)
}

// Commit moves the head validated -> committed; the session is then
// immutable.
func (s *Session) Commit(payload Hash, now time.Time) (Hash, error) {
	return s.advanceFrom(Validated, Committed, payload, now)
}

// advanceFrom names the state the operation expects in its error.
func (s *Session) advanceFrom(from, to State, payload Hash, now time.Time) (Hash, error) {
	if s.commit {
		return Hash{}, ErrCommitted
	}
	if cur := s.State(); cur != from {
		return Hash{}, fmt.Errorf("%w: %s -> %s (head is %s)", ErrIllegalTransition, cur, to, cur)
	}
	return s.Advance(to, payload, now)
}

// Branch appends an active child of from (an active node), leaving the
// head where it is, and returns the new branch's hash. Continue on it with
// Checkout, or join it back with Merge.
func (s *Session) Branch(from Hash, payload Hash, now time.Time) (Hash, error) {
	if n, ok := s.nodes[from]; ok && n.State != Active && !s.commit {
		return Hash{}, fmt.Errorf("%w: branch from %s: %s -> %s is not active -> active", ErrIllegalTransition, from, n.State, Active)
	}
	return s.Append([]Hash{from}, Active, payload, now)
}

// Merge appends an active node whose parents are the given active nodes
// (at least two) and makes it the head.
func (s *Session) Merge(parents []Hash, payload Hash, now time.Time) (Hash, error) {
	for _, p := range parents {
		if n, ok := s.nodes[p]; ok && n.State != Active && !s.commit {
			return Hash{}, fmt.Errorf("%w: merge of %s: %s -> %s is not active -> active", ErrIllegalTransition, p, n.State, Active)
		}
	}
	if len(parents) < 2 {
		return Hash{}, fmt.Errorf("%w: a merge needs at least two parents, got %d", ErrParents, len(parents))
	}
	h, err := s.Append(parents, Active, payload, now)
	if err != nil {
		return Hash{}, err
	}
	s.head = h
	return h, nil
}

// Checkout makes h, a node of the session, the head.
func (s *Session) Checkout(h Hash) error {
	if _, ok := s.nodes[h]; !ok {
		return fmt.Errorf("%w: %s", ErrUnknownNode, h)
	}
	s.head = h
	return nil
}

// Proof returns the lineage of the head (see ProofFor).
func (s *Session) Proof() *Proof {
	p, _ := s.ProofFor(s.head)
	return p
}

// ProofFor returns the lineage of h: every ancestor of h and h itself, in
// a topological order that starts with the root and ends with h.
func (s *Session) ProofFor(h Hash) (*Proof, error) {
	if _, ok := s.nodes[h]; !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownNode, h)
	}
	return lineage(s.id, h, func(x Hash) (Node, error) {
		n, ok := s.nodes[x]
		if !ok {
			return Node{}, fmt.Errorf("%w: %s", ErrUnknownNode, x)
		}
		return n, nil
	})
}

func proofFromStore(id string, st NodeStore, head Hash) (*Proof, error) {
	return lineage(id, head, func(x Hash) (Node, error) {
		n, err := loadNode(st, x)
		if err != nil {
			return Node{}, fmt.Errorf("node %s: %w", x, err)
		}
		return n, nil
	})
}

// lineage lists head and its ancestors in depth-first post-order over
// parents in ascending order: parents come before children, the root
// (the only node without parents) first and head last.
func lineage(id string, head Hash, get func(Hash) (Node, error)) (*Proof, error) {
	type frame struct {
		h    Hash
		n    Node
		next int
	}
	seen := make(map[Hash]bool)
	var out []Node
	hn, err := get(head)
	if err != nil {
		return nil, err
	}
	stack := []frame{{h: head, n: hn}}
	seen[head] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.n.Parents) {
			p := top.n.Parents[top.next]
			top.next++
			if seen[p] {
				continue
			}
			seen[p] = true
			pn, err := get(p)
			if err != nil {
				return nil, err
			}
			stack = append(stack, frame{h: p, n: pn})
			continue
		}
		out = append(out, top.n)
		stack = stack[:len(stack)-1]
	}
	return &Proof{SessionID: id, Head: head, Nodes: out}, nil
}
