package session

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/zeebo/blake3"
)

// MaxParents bounds the number of parents of one node (a merge of at most
// this many branches).
const MaxParents = 64

// Node is a vertex of a session's Merkle-DAG: (state, timestamp, parent
// hashes, payload hash). Its identity is Hash(), the BLAKE3-256 digest of
// its canonical encoding (Encode).
type Node struct {
	State State
	// Timestamp is the creation time in Unix nanoseconds.
	Timestamp int64
	// Parents are the hashes of the parent nodes in strictly ascending byte
	// order. The root has none; a merge has several.
	Parents []Hash
	// PayloadHash is HashPayload of what the transition recorded (for the
	// root, RootPayload of the session id).
	PayloadHash Hash
}

// Canonical node encoding (all integers big-endian):
//
//	u8  len(ctx) = 25
//	ctx "bizra/session/dag-node/v1"
//	u8  state            1..5
//	i64 timestamp        Unix nanoseconds
//	u32 number of parents (≤ MaxParents)
//	    parents          32 bytes each, strictly ascending
//	    payload hash     32 bytes
const nodeFixedLen = 1 + len(ctxNode) + 1 + 8 + 4 + HashSize

// Encoding bounds of time.Time.UnixNano.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// NewNode builds a node, sorting the parents. It fails on an invalid
// state, a time outside UnixNano's range (years 1678–2262), duplicate
// parents or more than MaxParents.
func NewNode(state State, at time.Time, parents []Hash, payload Hash) (Node, error) {
	if !state.Valid() {
		return Node{}, fmt.Errorf("%w: %d", ErrUnknownState, uint8(state))
	}
	if at.Before(minTime) || at.After(maxTime) {
		return Node{}, fmt.Errorf("%w: %v outside the encodable range", ErrTimestamp, at)
	}
	ps := append([]Hash(nil), parents...)
	sortHashes(ps)
	n := Node{State: state, Timestamp: at.UnixNano(), Parents: ps, PayloadHash: payload}
	if err := n.checkShape(); err != nil {
		return Node{}, err
	}
	return n, nil
}

// Time returns the timestamp as a time.Time in UTC.
func (n Node) Time() time.Time { return time.Unix(0, n.Timestamp).UTC() }

// checkShape verifies what the canonical encoding requires.
func (n Node) checkShape() error {
	if !n.State.Valid() {
		return fmt.Errorf("%w: %d", ErrUnknownState, uint8(n.State))
	}
	if len(n.Parents) > MaxParents {
		return fmt.Errorf("%w: %d parents, at most %d", ErrParents, len(n.Parents), MaxParents)
	}
	for i := 1; i < len(n.Parents); i++ {
		if bytes.Compare(n.Parents[i-1][:], n.Parents[i][:]) >= 0 {
			return fmt.Errorf("%w: parents not strictly ascending at %d", ErrParents, i)
		}
	}
	return nil
}

// AppendEncoding appends the canonical encoding to dst. The node must have
// the shape NewNode guarantees (see Encode).
func (n Node) AppendEncoding(dst []byte) []byte {
	dst = appendContext(dst, ctxNode)
	dst = append(dst, byte(n.State))
	dst = appendU64(dst, uint64(n.Timestamp))
	dst = appendU32(dst, uint32(len(n.Parents)))
	for i := range n.Parents {
		dst = append(dst, n.Parents[i][:]...)
	}
	return append(dst, n.PayloadHash[:]...)
}

// Encode returns the canonical encoding. It does not reorder parents: a
// node whose parents are not strictly ascending encodes, but DecodeNode
// and VerifyProof reject it.
func (n Node) Encode() []byte {
	return n.AppendEncoding(make([]byte, 0, nodeFixedLen+len(n.Parents)*HashSize))
}

// Hash is BLAKE3-256 of the canonical encoding.
func (n Node) Hash() Hash {
	var buf [nodeFixedLen + 4*HashSize]byte
	return blake3.Sum256(n.AppendEncoding(buf[:0]))
}

// DecodeNode parses a canonical encoding, rejecting anything else: wrong
// context, unknown state, a parent count above MaxParents, a length that
// does not match, or parents not strictly ascending.
func DecodeNode(b []byte) (Node, error) {
	var n Node
	if len(b) < nodeFixedLen {
		return n, fmt.Errorf("%w: node is %d bytes, at least %d", ErrMalformed, len(b), nodeFixedLen)
	}
	if int(b[0]) != len(ctxNode) || string(b[1:1+len(ctxNode)]) != ctxNode {
		return n, fmt.Errorf("%w: node context is not %q", ErrMalformed, ctxNode)
	}
	p := b[1+len(ctxNode):]
	n.State = State(p[0])
	if !n.State.Valid() {
		return Node{}, fmt.Errorf("%w: %w: %d", ErrMalformed, ErrUnknownState, p[0])
	}
	n.Timestamp = int64(binary.BigEndian.Uint64(p[1:9]))
	count := binary.BigEndian.Uint32(p[9:13])
	if count > MaxParents {
		return Node{}, fmt.Errorf("%w: %d parents, at most %d", ErrMalformed, count, MaxParents)
	}
	p = p[13:]
	if want := int(count)*HashSize + HashSize; len(p) != want {
		return Node{}, fmt.Errorf("%w: node body is %d bytes, want %d for %d parents", ErrMalformed, len(p), want, count)
	}
	if count > 0 {
		n.Parents = make([]Hash, count)
		for i := range n.Parents {
			copy(n.Parents[i][:], p[i*HashSize:])
		}
	}
	copy(n.PayloadHash[:], p[int(count)*HashSize:])
	if err := n.checkShape(); err != nil {
		return Node{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return n, nil
}

func sortHashes(hs []Hash) {
	// Insertion sort: parent lists are short.
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && bytes.Compare(hs[j-1][:], hs[j][:]) > 0; j-- {
			hs[j-1], hs[j] = hs[j], hs[j-1]
		}
	}
}
