package durable

import (
	"errors"
	"fmt"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/store"
)

// NodeStore is a session.NodeStore over a store.DAGStore: Put is a synced
// group commit, and Get wraps session.ErrNotFound (and store.ErrNotFound)
// for a missing node.
type NodeStore struct {
	d *store.DAGStore
}

var _ session.NodeStore = NodeStore{}

// New returns a NodeStore over d.
func New(d *store.DAGStore) NodeStore { return NodeStore{d: d} }

// Put stores a node's canonical encoding under its hash; it is durable
// when Put returns.
func (n NodeStore) Put(h session.Hash, encoded []byte) error {
	return n.d.Put([32]byte(h), encoded)
}

// Get returns the encoding stored under h.
func (n NodeStore) Get(h session.Hash) ([]byte, error) {
	b, err := n.d.Get([32]byte(h))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s (%w)", session.ErrNotFound, h, err)
	}
	return b, err
}

// HeadStore keeps each session's head for session.Resume.
type HeadStore struct {
	h *store.Heads
}

// NewHeadStore returns a HeadStore over h.
func NewHeadStore(h *store.Heads) HeadStore { return HeadStore{h: h} }

// Record is a session's reload point.
type Record struct {
	Head     session.Hash
	State    session.State
	Branches []session.Hash
	Updated  time.Time
}

// Save records s's head, state and other tips at time now; it is durable
// when Save returns.
func (hs HeadStore) Save(s *session.Session, now time.Time) error {
	rec := store.Head{Head: [32]byte(s.Head()), State: uint8(s.State()), Updated: now}
	for _, t := range s.Tips() {
		if t != s.Head() {
			rec.Branches = append(rec.Branches, [32]byte(t))
		}
	}
	return hs.h.Put(s.ID(), rec)
}

// Load returns the record of session id, or an error wrapping
// store.ErrNotFound.
func (hs HeadStore) Load(id string) (Record, error) {
	h, err := hs.h.Get(id)
	if err != nil {
		return Record{}, err
	}
	return fromStore(h)
}

func fromStore(h store.Head) (Record, error) {
	st := session.State(h.State)
	if !st.Valid() {
		return Record{}, fmt.Errorf("%w: head record state %d", session.ErrUnknownState, h.State)
	}
	r := Record{Head: session.Hash(h.Head), State: st, Updated: h.Updated}
	for _, b := range h.Branches {
		r.Branches = append(r.Branches, session.Hash(b))
	}
	return r, nil
}

// Resume reloads session id from its record and the nodes in ns.
func (hs HeadStore) Resume(id string, ns NodeStore) (*session.Session, error) {
	r, err := hs.Load(id)
	if err != nil {
		return nil, err
	}
	s, err := session.Resume(id, ns, r.Head, r.Branches...)
	if err != nil {
		return nil, err
	}
	if s.State() != r.State {
		return nil, fmt.Errorf("%w: session %q head is %s, record says %s", store.ErrCorrupt, id, s.State(), r.State)
	}
	return s, nil
}

// Delete removes session id's record (its nodes stay).
func (hs HeadStore) Delete(id string) error { return hs.h.Delete(id) }

// Scan calls fn for every recorded session, in ascending id order.
func (hs HeadStore) Scan(fn func(id string, r Record) error) error {
	return hs.h.Scan(func(id string, h store.Head) error {
		r, err := fromStore(h)
		if err != nil {
			return fmt.Errorf("session %q: %w", id, err)
		}
		return fn(id, r)
	})
}
