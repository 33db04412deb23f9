package durable

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/store"
)

// Keys of the session-head log, under store.PrefixLog:
//
//	log/leaf/<8-byte big-endian index>   the entry's canonical encoding
//	log/idx/<record id>                  the record's index (8 bytes)
//	log/cp/<8-byte big-endian size>      a signed checkpoint (see encodeCheckpoint)
const (
	logLeafPrefix = store.PrefixLog + "leaf/"
	logIdxPrefix  = store.PrefixLog + "idx/"
	logCPPrefix   = store.PrefixLog + "cp/"
)

func leafKey(i uint64) []byte  { return binary.BigEndian.AppendUint64([]byte(logLeafPrefix), i) }
func cpKey(size uint64) []byte { return binary.BigEndian.AppendUint64([]byte(logCPPrefix), size) }
func idxKey(recordID string) []byte {
	return append([]byte(logIdxPrefix), recordID...)
}

// HeadLog is the node's durable, append-only log of committed session heads
// (RFC 9162 shape, see session.Log): every task record's head is a leaf,
// written in the same synced batch as the record itself, and the node signs
// checkpoints of the log with its identity key. A record whose result was
// answered is therefore in the log, and a checkpoint the node signed stays
// consistent with every later one: history cannot be rewritten silently.
//
// Indexes are assigned in the order records reach Reserve; a leaf joins the
// in-memory tree (and so can be covered by a checkpoint) only once it and
// every leaf before it are durable. If a batch holding a leaf fails, the
// log stops taking entries (ErrLogFailed); OpenHeadLog closes the hole at
// the next start by moving the later leaves down (no checkpoint covers
// them, since a checkpoint covers only a hole-free prefix).
// HeadLog is safe for concurrent use.
type HeadLog struct {
	db     *store.Store
	commit *store.Committer
	key    ed25519.PrivateKey
	origin string

	mu      sync.Mutex
	tree    *session.Log            // the durable prefix
	next    uint64                  // next index to assign
	done    map[uint64]session.Hash // durable leaves beyond the prefix
	failed  error
	latest  session.SignedCheckpoint // latest signed checkpoint (Size 0: none)
	signing sync.Mutex               // one checkpoint at a time
}

// OpenHeadLog loads the log from db: its leaves, in index order, and its
// latest checkpoint, which must match the leaves (ErrLogCorrupt otherwise).
func OpenHeadLog(db *store.Store, commit *store.Committer, key ed25519.PrivateKey, origin string) (*HeadLog, error) {
	l := &HeadLog{db: db, commit: commit, key: key, origin: origin, done: map[uint64]session.Hash{}}
	var (
		leaves []session.Hash
		fix    store.Batch
	)
	err := db.Scan([]byte(logLeafPrefix), func(k, v []byte) error {
		i, want := binary.BigEndian.Uint64(k[len(logLeafPrefix):]), uint64(len(leaves))
		if i != want {
			// A batch before this one failed, leaving a hole. No checkpoint
			// covers leaves past a hole, so they move down to close it.
			e, err := session.DecodeLogEntry(v)
			if err != nil {
				return fmt.Errorf("%w: leaf %d: %w", ErrLogCorrupt, i, err)
			}
			fix.Delete(append([]byte(nil), k...))
			fix.Put(leafKey(want), append([]byte(nil), v...))
			fix.Put(idxKey(e.SessionID), binary.BigEndian.AppendUint64(nil, want))
		}
		leaves = append(leaves, session.LeafHash(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fix.Len() > 0 {
		if err := commit.Commit(&fix); err != nil {
			return nil, err
		}
	}
	l.tree = session.NewLogFromLeafHashes(leaves)
	l.next = l.tree.Size()
	err = db.Scan([]byte(logCPPrefix), func(_, v []byte) error {
		sc, err := decodeCheckpoint(v)
		if err != nil {
			return err
		}
		l.latest = sc
		return nil
	})
	if err != nil {
		return nil, err
	}
	if l.latest.Size > 0 {
		if err := session.VerifyCheckpoint(key.Public().(ed25519.PublicKey), l.latest); err != nil {
			return nil, fmt.Errorf("%w: stored checkpoint: %w", ErrLogCorrupt, err)
		}
		root, err := l.tree.RootAt(l.latest.Size)
		if err != nil || root != l.latest.Root {
			return nil, fmt.Errorf("%w: the leaves do not match the checkpoint of size %d the node signed", ErrLogCorrupt, l.latest.Size)
		}
	}
	return l, nil
}

// Reserve assigns entry the next index and adds its leaf and the record's
// index to b. The caller commits b, then calls Done with the same index.
func (l *HeadLog) Reserve(b *store.Batch, recordID string, entry session.LogEntry) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed != nil {
		return 0, l.failed
	}
	i := l.next
	l.next++
	b.Put(leafKey(i), entry.Encode())
	b.Put(idxKey(recordID), binary.BigEndian.AppendUint64(nil, i))
	return i, nil
}

// Done reports the outcome of the batch holding leaf i.
func (l *HeadLog) Done(i uint64, entry session.LogEntry, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if l.failed == nil {
			l.failed = fmt.Errorf("%w: leaf %d: %w", ErrLogFailed, i, err)
		}
		return
	}
	l.done[i] = session.LeafHash(entry.Encode())
	for {
		h, ok := l.done[l.tree.Size()]
		if !ok {
			return
		}
		delete(l.done, l.tree.Size())
		l.tree.AppendLeafHash(h)
	}
}

// Size returns the number of durable leaves.
func (l *HeadLog) Size() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tree.Size()
}

// Checkpoint signs a checkpoint of the durable prefix and stores it
// (synced) when the log grew since the latest one; it returns the latest
// checkpoint either way (Size 0 when the log is empty).
func (l *HeadLog) Checkpoint(now time.Time) (session.SignedCheckpoint, error) {
	l.signing.Lock()
	defer l.signing.Unlock()
	l.mu.Lock()
	if l.tree.Size() == l.latest.Size {
		sc := l.latest
		l.mu.Unlock()
		return sc, nil
	}
	c := l.tree.Checkpoint(l.origin, now)
	l.mu.Unlock()
	sc := session.SignCheckpoint(l.key, c)
	if err := l.commit.Put(cpKey(sc.Size), encodeCheckpoint(sc)); err != nil {
		return session.SignedCheckpoint{}, err
	}
	l.mu.Lock()
	l.latest = sc
	l.mu.Unlock()
	return sc, nil
}

// Latest returns the latest signed checkpoint (Size 0 when none).
func (l *HeadLog) Latest() session.SignedCheckpoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.latest
}

// Consistency returns the latest checkpoint and the RFC 9162 consistency
// proof from the log's first `from` leaves to it.
func (l *HeadLog) Consistency(from uint64) (session.SignedCheckpoint, []session.Hash, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sc := l.latest
	if from == 0 || from > sc.Size {
		return sc, nil, fmt.Errorf("%w: consistency from size %d to checkpoint size %d", ErrLogRange, from, sc.Size)
	}
	p, err := l.tree.ConsistencyProof(from, sc.Size)
	return sc, p, err
}

// Receipt returns the receipt of a record: its log entry, index and
// inclusion path under the latest checkpoint. ErrNotLogged when the record
// has no leaf, ErrLogRange when the latest checkpoint does not cover it yet.
func (l *HeadLog) Receipt(recordID string) (*session.Receipt, error) {
	v, err := l.db.Get(idxKey(recordID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotLogged, recordID)
	}
	if err != nil {
		return nil, err
	}
	if len(v) != 8 {
		return nil, fmt.Errorf("%w: index of %s is %d bytes", ErrLogCorrupt, recordID, len(v))
	}
	i := binary.BigEndian.Uint64(v)
	data, err := l.db.Get(leafKey(i))
	if err != nil {
		return nil, err
	}
	entry, err := session.DecodeLogEntry(data)
	if err != nil {
		return nil, fmt.Errorf("%w: leaf %d: %w", ErrLogCorrupt, i, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= l.latest.Size {
		return nil, fmt.Errorf("%w: leaf %d is not covered by the latest checkpoint (size %d) yet", ErrLogRange, i, l.latest.Size)
	}
	return l.tree.Receipt(entry, i, l.latest)
}

// encodeCheckpoint: origin length (u16) and bytes, size (u64), root (32),
// timestamp (i64), signature (64).
func encodeCheckpoint(sc session.SignedCheckpoint) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(sc.Origin)))
	b = append(b, sc.Origin...)
	b = binary.BigEndian.AppendUint64(b, sc.Size)
	b = append(b, sc.Root[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(sc.Timestamp))
	return append(b, sc.Signature...)
}

func decodeCheckpoint(b []byte) (session.SignedCheckpoint, error) {
	var sc session.SignedCheckpoint
	if len(b) < 2 {
		return sc, fmt.Errorf("%w: checkpoint record of %d bytes", ErrLogCorrupt, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) != 2+n+8+32+8+ed25519.SignatureSize {
		return sc, fmt.Errorf("%w: checkpoint record of %d bytes", ErrLogCorrupt, len(b))
	}
	b = b[2:]
	sc.Origin, b = string(b[:n]), b[n:]
	sc.Size, b = binary.BigEndian.Uint64(b), b[8:]
	copy(sc.Root[:], b[:32])
	b = b[32:]
	sc.Timestamp, b = int64(binary.BigEndian.Uint64(b)), b[8:]
	sc.Signature = append([]byte(nil), b...)
	return sc, nil
}
