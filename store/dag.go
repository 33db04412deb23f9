package store

import (
	"encoding/hex"
	"fmt"
)

// DAGStore keeps session DAG nodes: the canonical node encoding under
// dag/<64 lower-case hex digits of the node hash>. Put is durable when it
// returns (a synced group commit through the Committer). It is safe for
// concurrent use.
//
// Its methods take [32]byte, so it does not satisfy session.NodeStore
// (whose hash is the named type session.Hash); actors/session/durable adapts it.
type DAGStore struct {
	s *Store
	c *Committer
}

// NewDAGStore returns a DAGStore reading from s and writing through c,
// which must be a Committer of s.
func NewDAGStore(s *Store, c *Committer) (*DAGStore, error) {
	if s == nil || c == nil || c.s != s {
		return nil, fmt.Errorf("%w: NewDAGStore needs a Store and one of its Committers", ErrConfig)
	}
	return &DAGStore{s: s, c: c}, nil
}

// DAGKey returns the key of node hash h: "dag/" and 64 hex digits.
func DAGKey(h [32]byte) []byte {
	k := make([]byte, len(PrefixDAG)+hex.EncodedLen(len(h)))
	copy(k, PrefixDAG)
	hex.Encode(k[len(PrefixDAG):], h[:])
	return k
}

// Put stores encoded under h and returns once it is durable.
func (d *DAGStore) Put(h [32]byte, encoded []byte) error {
	return d.c.Put(DAGKey(h), encoded)
}

// Get returns the encoding stored under h, or an error wrapping
// ErrNotFound.
func (d *DAGStore) Get(h [32]byte) ([]byte, error) {
	return d.s.Get(DAGKey(h))
}

// Has reports whether a node is stored under h.
func (d *DAGStore) Has(h [32]byte) (bool, error) {
	return d.s.Has(DAGKey(h))
}

// Scan calls fn for every stored node, in ascending hash order.
func (d *DAGStore) Scan(fn func(h [32]byte, encoded []byte) error) error {
	return d.s.Scan([]byte(PrefixDAG), func(key, value []byte) error {
		var h [32]byte
		name := key[len(PrefixDAG):]
		if n, err := hex.Decode(h[:], name); err != nil || n != len(h) || len(name) != hex.EncodedLen(len(h)) {
			return fmt.Errorf("%w: DAG key %q", ErrCorrupt, key)
		}
		return fn(h, value)
	})
}
