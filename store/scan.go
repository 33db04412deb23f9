package store

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble"
)

// Scan calls fn for every key starting with prefix, in ascending key
// order, with copies of the key and value. It sees a consistent snapshot
// taken when it starts. When fn returns ErrStop (or an error wrapping it)
// Scan stops and returns nil; any other error stops it and is returned.
// An empty prefix scans every key. fn may read and write the store but
// must not call Close (which waits for the scan).
func (s *Store) Scan(prefix []byte, fn func(key, value []byte) error) error {
	return s.scan(prefix, true, fn)
}

// scan is Scan; open decrypts values under the at-rest vault's prefixes.
func (s *Store) scan(prefix []byte, open bool, fn func(key, value []byte) error) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	opts := &pebble.IterOptions{UpperBound: prefixEnd(prefix)}
	if len(prefix) > 0 {
		opts.LowerBound = prefix
	}
	it, err := s.db.NewIter(opts)
	if err != nil {
		return fmt.Errorf("store: scan %q: %w", prefix, err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("store: scan %q: %w", prefix, err)
		}
		k := append([]byte(nil), it.Key()...)
		v = append(make([]byte, 0, len(v)), v...)
		if open {
			if v, err = s.openValue(k, v); err != nil {
				it.Close()
				return err
			}
		}
		if err := fn(k, v); err != nil {
			it.Close()
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("store: scan %q: %w", prefix, err)
	}
	return nil
}
