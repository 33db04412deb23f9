package store

import (
	"fmt"

	"github.com/cockroachdb/pebble"
)

// Batch collects puts and deletes that are applied atomically: after a
// crash either all of them are present or none. A Batch is not safe for
// concurrent use; it keeps copies of the keys and values given to it.
type Batch struct {
	ops  []batchOp
	size int // key and value bytes
}

type batchOp struct {
	key, value []byte
	del        bool
}

// Put adds a put of value under key.
func (b *Batch) Put(key, value []byte) {
	k := append([]byte(nil), key...)
	v := append(make([]byte, 0, len(value)), value...)
	b.ops = append(b.ops, batchOp{key: k, value: v})
	b.size += len(k) + len(v)
}

// Delete adds a delete of key.
func (b *Batch) Delete(key []byte) {
	k := append([]byte(nil), key...)
	b.ops = append(b.ops, batchOp{key: k, del: true})
	b.size += len(k)
}

// Len returns the number of operations.
func (b *Batch) Len() int { return len(b.ops) }

// Size returns the key and value bytes of the operations.
func (b *Batch) Size() int { return b.size }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	b.ops = b.ops[:0]
	b.size = 0
}

// check rejects a batch holding an empty key.
func (b *Batch) check() error {
	for i, op := range b.ops {
		if len(op.key) == 0 {
			return fmt.Errorf("%w: batch operation %d", ErrEmptyKey, i)
		}
	}
	return nil
}

func (b *Batch) addTo(pb *pebble.Batch, seal func(key, value []byte) ([]byte, error)) error {
	for _, op := range b.ops {
		var err error
		if op.del {
			err = pb.Delete(op.key, nil)
		} else {
			v := op.value
			if v, err = seal(op.key, v); err != nil {
				return err
			}
			err = pb.Set(op.key, v, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Apply applies every operation of b atomically. An empty batch is a
// no-op.
func (s *Store) Apply(b *Batch, d Durability) error {
	if err := b.check(); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	return s.applyBatches([]*Batch{b}, d)
}

// applyBatches applies several batches as one pebble batch: one write to
// the write-ahead log and, with Sync, one fsync.
func (s *Store) applyBatches(bs []*Batch, d Durability) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	pb := s.db.NewBatch()
	defer pb.Close()
	for _, b := range bs {
		if err := b.addTo(pb, s.sealValue); err != nil {
			return fmt.Errorf("store: batch: %w", err)
		}
	}
	if err := pb.Commit(d.options()); err != nil {
		return fmt.Errorf("store: commit batch: %w", err)
	}
	return nil
}
