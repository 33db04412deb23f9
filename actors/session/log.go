package session

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"
)

// The session-head log is an append-only Merkle tree in the shape of
// RFC 9162 (Certificate Transparency v2) §2.1, with SHA-256 as the hash,
// as in RFC 9162:
//
//	MTH({})    = SHA-256()
//	leaf hash  = SHA-256(0x00 || leaf data)
//	node hash  = SHA-256(0x01 || left || right)
//	MTH(D[n])  = node hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//
// Leaves are canonical LogEntry encodings: one per session head recorded.

// LogEntry records that a session reached a head at a time.
type LogEntry struct {
	SessionID string
	Head      Hash
	State     State
	Timestamp int64 // Unix nanoseconds
}

// Canonical log entry encoding: ctx("bizra/session/log-entry/v1") ||
// u32 len(id) || id || head (32) || u8 state || i64 timestamp.
func (e LogEntry) Encode() []byte {
	b := appendContext(nil, ctxLogEntry)
	b = appendString(b, e.SessionID)
	b = append(b, e.Head[:]...)
	b = append(b, byte(e.State))
	return appendU64(b, uint64(e.Timestamp))
}

// DecodeLogEntry parses a canonical log entry encoding.
func DecodeLogEntry(b []byte) (LogEntry, error) {
	var e LogEntry
	pre := 1 + len(ctxLogEntry)
	if len(b) < pre+4 || int(b[0]) != len(ctxLogEntry) || string(b[1:pre]) != ctxLogEntry {
		return e, fmt.Errorf("%w: log entry context", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(b[pre:])
	rest := b[pre+4:]
	if uint64(len(rest)) != uint64(n)+HashSize+1+8 {
		return e, fmt.Errorf("%w: log entry length", ErrMalformed)
	}
	e.SessionID = string(rest[:n])
	if err := checkID(e.SessionID); err != nil {
		return LogEntry{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	rest = rest[n:]
	copy(e.Head[:], rest)
	e.State = State(rest[HashSize])
	if !e.State.Valid() {
		return LogEntry{}, fmt.Errorf("%w: %w: %d", ErrMalformed, ErrUnknownState, rest[HashSize])
	}
	e.Timestamp = int64(binary.BigEndian.Uint64(rest[HashSize+1:]))
	return e, nil
}

// EntryFor returns the log entry of a session's current head at time now.
func EntryFor(s *Session, now time.Time) LogEntry {
	return LogEntry{SessionID: s.ID(), Head: s.Head(), State: s.State(), Timestamp: now.UnixNano()}
}

// LeafHash is SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// EmptyRoot is MTH({}) = SHA-256 of the empty string.
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// Log is an append-only Merkle tree of leaf hashes held in memory. It is
// not safe for concurrent use. Persisting the leaves is the caller's: keep
// the leaf data or hashes and rebuild with NewLogFromLeafHashes.
type Log struct {
	leaves []Hash
	// frontier holds the roots of the perfect subtrees the leaves split
	// into, largest first (one per set bit of the size), so Root is
	// O(log n).
	frontier []Hash
}

// NewLogFromLeafHashes rebuilds a log from its leaf hashes, in order.
func NewLogFromLeafHashes(leaves []Hash) *Log {
	l := &Log{}
	for _, h := range leaves {
		l.appendLeafHash(h)
	}
	return l
}

func (l *Log) appendLeafHash(h Hash) {
	l.leaves = append(l.leaves, h)
	l.frontier = append(l.frontier, h)
	// Merge equal-sized subtrees: one merge per trailing one bit of the
	// previous size.
	for size := uint64(len(l.leaves) - 1); size&1 == 1; size >>= 1 {
		n := len(l.frontier)
		l.frontier = append(l.frontier[:n-2], NodeHash(l.frontier[n-2], l.frontier[n-1]))
	}
}

// Size returns the number of leaves.
func (l *Log) Size() uint64 { return uint64(len(l.leaves)) }

// Append adds a leaf with the given data and returns its index.
func (l *Log) Append(data []byte) uint64 {
	l.appendLeafHash(LeafHash(data))
	return uint64(len(l.leaves) - 1)
}

// AppendLeafHash adds a leaf by its hash (LeafHash of its data) and returns
// its index; a durable log rebuilt from stored entries uses it.
func (l *Log) AppendLeafHash(h Hash) uint64 {
	l.appendLeafHash(h)
	return uint64(len(l.leaves) - 1)
}

// AppendEntry appends e's canonical encoding and returns its index.
func (l *Log) AppendEntry(e LogEntry) uint64 { return l.Append(e.Encode()) }

// LeafHashAt returns the hash of leaf i.
func (l *Log) LeafHashAt(i uint64) (Hash, error) {
	if i >= l.Size() {
		return Hash{}, fmt.Errorf("%w: leaf %d of %d", ErrLogRange, i, l.Size())
	}
	return l.leaves[i], nil
}

// Root returns the tree head of the whole log, in O(log n).
func (l *Log) Root() Hash {
	n := len(l.frontier)
	if n == 0 {
		return EmptyRoot()
	}
	r := l.frontier[n-1]
	for i := n - 2; i >= 0; i-- {
		r = NodeHash(l.frontier[i], r)
	}
	return r
}

// RootAt returns the tree head of the first size leaves, in O(size).
func (l *Log) RootAt(size uint64) (Hash, error) {
	if size > l.Size() {
		return Hash{}, fmt.Errorf("%w: size %d of %d", ErrLogRange, size, l.Size())
	}
	return mth(l.leaves[:size]), nil
}

// InclusionProof returns PATH(index, D[size]) of RFC 9162 §2.1.3.1.
func (l *Log) InclusionProof(index, size uint64) ([]Hash, error) {
	if size > l.Size() || index >= size {
		return nil, fmt.Errorf("%w: leaf %d in tree of %d (log has %d)", ErrLogRange, index, size, l.Size())
	}
	return path(index, l.leaves[:size]), nil
}

// ConsistencyProof returns PROOF(m, D[n]) of RFC 9162 §2.1.4.1, for
// 0 < m ≤ n ≤ Size(). The proof for m = n is empty.
func (l *Log) ConsistencyProof(m, n uint64) ([]Hash, error) {
	if m == 0 || m > n || n > l.Size() {
		return nil, fmt.Errorf("%w: consistency %d -> %d (log has %d)", ErrLogRange, m, n, l.Size())
	}
	return subproof(m, l.leaves[:n], true), nil
}

// split returns k, the largest power of two smaller than n (n > 1).
func split(n uint64) uint64 { return 1 << (bits.Len64(n-1) - 1) }

func mth(d []Hash) Hash {
	switch len(d) {
	case 0:
		return EmptyRoot()
	case 1:
		return d[0]
	}
	k := split(uint64(len(d)))
	return NodeHash(mth(d[:k]), mth(d[k:]))
}

func path(m uint64, d []Hash) []Hash {
	n := uint64(len(d))
	if n <= 1 {
		return nil
	}
	k := split(n)
	if m < k {
		return append(path(m, d[:k]), mth(d[k:]))
	}
	return append(path(m-k, d[k:]), mth(d[:k]))
}

func subproof(m uint64, d []Hash, b bool) []Hash {
	n := uint64(len(d))
	if m == n {
		if b {
			return nil
		}
		return []Hash{mth(d)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, d[:k], b), mth(d[k:]))
	}
	return append(subproof(m-k, d[k:], false), mth(d[:k]))
}
