package session

import "sync"

// NodeStore persists canonical node encodings by node hash. Put must be
// durable when it returns (for a disk store: a synced write). Get returns
// an error wrapping ErrNotFound for a missing hash. Implementations must be
// safe for concurrent use.
type NodeStore interface {
	Put(h Hash, encoded []byte) error
	Get(h Hash) ([]byte, error)
}

// MemStore is an in-memory NodeStore.
type MemStore struct {
	mu sync.RWMutex
	m  map[Hash][]byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: make(map[Hash][]byte)} }

// Put stores a copy of encoded.
func (s *MemStore) Put(h Hash, encoded []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[h] = append([]byte(nil), encoded...)
	return nil
}

// Get returns a copy of the stored encoding.
func (s *MemStore) Get(h Hash) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[h]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

// Len returns the number of stored nodes.
func (s *MemStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// loadNode reads, decodes and checks a node against its hash.
func loadNode(st NodeStore, h Hash) (Node, error) {
	b, err := st.Get(h)
	if err != nil {
		return Node{}, err
	}
	n, err := DecodeNode(b)
	if err != nil {
		return Node{}, err
	}
	if n.Hash() != h {
		return Node{}, ErrCorrupt
	}
	return n, nil
}
