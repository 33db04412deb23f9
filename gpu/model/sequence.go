package model

// Sequence is one decoding stream: its position and its key/value cache.
// A Sequence belongs to one Model and is not safe for concurrent use.
type Sequence struct {
	Pos    int         // number of positions already in the cache
	MaxPos int         // capacity in positions
	k, v   [][]float32 // per layer: MaxPos*KVDim values
}

// NewSequence allocates a KV cache for up to maxPos positions (the model's
// context length when maxPos <= 0 or larger).
func (m *Model) NewSequence(maxPos int) *Sequence {
	if maxPos <= 0 || maxPos > m.P.Context {
		maxPos = m.P.Context
	}
	s := &Sequence{MaxPos: maxPos, k: make([][]float32, m.P.Layers), v: make([][]float32, m.P.Layers)}
	kv := m.P.KVDim()
	for l := range s.k {
		s.k[l] = make([]float32, maxPos*kv)
		s.v[l] = make([]float32, maxPos*kv)
	}
	return s
}

// Reset empties the cache so the sequence can be reused.
func (s *Sequence) Reset() { s.Pos = 0 }
