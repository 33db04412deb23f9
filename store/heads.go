package store

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Head is what a session actor needs to reload a passivated session: its
// head node, the tips of other branches to keep, and the head's state
// (session.State's byte value).
type Head struct {
	Head     [32]byte
	State    uint8
	Branches [][32]byte
	Updated  time.Time // when the record was written (the caller's now)
}

// MaxSessionIDLen bounds a session id in Heads (as session.MaxIDLen).
const MaxSessionIDLen = 256

// maxBranches bounds Head.Branches so a record stays small.
const maxBranches = 1 << 16

const headVersion = 1

// Encoding: version u8 | state u8 | updated unix nanos i64 | head [32] |
// branch count u16 | branches [32] each; big-endian.
func (h Head) encode() ([]byte, error) {
	if len(h.Branches) >= maxBranches {
		return nil, fmt.Errorf("store: head record has %d branches, max %d", len(h.Branches), maxBranches-1)
	}
	b := make([]byte, 0, 1+1+8+32+2+32*len(h.Branches))
	b = append(b, headVersion, h.State)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Updated.UnixNano()))
	b = append(b, h.Head[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Branches)))
	for _, br := range h.Branches {
		b = append(b, br[:]...)
	}
	return b, nil
}

func decodeHead(b []byte) (Head, error) {
	var h Head
	const fixed = 1 + 1 + 8 + 32 + 2
	if len(b) < fixed || b[0] != headVersion {
		return h, fmt.Errorf("%w: head record (%d bytes)", ErrCorrupt, len(b))
	}
	h.State = b[1]
	h.Updated = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:]))).UTC()
	copy(h.Head[:], b[10:42])
	n := int(binary.BigEndian.Uint16(b[42:]))
	if len(b) != fixed+32*n {
		return h, fmt.Errorf("%w: head record length %d for %d branches", ErrCorrupt, len(b), n)
	}
	if n > 0 {
		h.Branches = make([][32]byte, n)
		for i := range h.Branches {
			copy(h.Branches[i][:], b[fixed+32*i:])
		}
	}
	return h, nil
}

// Heads keeps one Head record per session under sess/<id>. Put and Delete
// are durable when they return (through the Committer).
type Heads struct {
	s *Store
	c *Committer
}

// NewHeads returns a Heads reading from s and writing through c, which
// must be a Committer of s.
func NewHeads(s *Store, c *Committer) (*Heads, error) {
	if s == nil || c == nil || c.s != s {
		return nil, fmt.Errorf("%w: NewHeads needs a Store and one of its Committers", ErrConfig)
	}
	return &Heads{s: s, c: c}, nil
}

func headKey(id string) ([]byte, error) {
	if id == "" || len(id) > MaxSessionIDLen {
		return nil, fmt.Errorf("store: session id length %d not in [1,%d]", len(id), MaxSessionIDLen)
	}
	return Key(PrefixSession, id), nil
}

// Put records h as session id's head.
func (hs *Heads) Put(id string, h Head) error {
	var b Batch
	if err := hs.AddTo(&b, id, h); err != nil {
		return err
	}
	return hs.c.Commit(&b)
}

// AddTo adds the record of h as session id's head to b, so it becomes
// durable together with the rest of the batch.
func (hs *Heads) AddTo(b *Batch, id string, h Head) error {
	k, err := headKey(id)
	if err != nil {
		return err
	}
	v, err := h.encode()
	if err != nil {
		return err
	}
	b.Put(k, v)
	return nil
}

// Get returns session id's head, or an error wrapping ErrNotFound.
func (hs *Heads) Get(id string) (Head, error) {
	k, err := headKey(id)
	if err != nil {
		return Head{}, err
	}
	v, err := hs.s.Get(k)
	if err != nil {
		return Head{}, err
	}
	return decodeHead(v)
}

// Delete removes session id's head record.
func (hs *Heads) Delete(id string) error {
	k, err := headKey(id)
	if err != nil {
		return err
	}
	return hs.c.Delete(k)
}

// Scan calls fn for every session's head, in ascending id order (by
// bytes). fn may return ErrStop.
func (hs *Heads) Scan(fn func(id string, h Head) error) error {
	return hs.ScanPrefix("", fn)
}

// ScanPrefix is Scan restricted to ids that start with idPrefix.
func (hs *Heads) ScanPrefix(idPrefix string, fn func(id string, h Head) error) error {
	return hs.s.Scan([]byte(PrefixSession+idPrefix), func(key, value []byte) error {
		h, err := decodeHead(value)
		if err != nil {
			return fmt.Errorf("session %q: %w", key[len(PrefixSession):], err)
		}
		return fn(string(key[len(PrefixSession):]), h)
	})
}
