package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// Durability says when a write returns.
type Durability uint8

const (
	// NoSync returns once the write is in the write-ahead log's buffer and
	// visible to readers. A crash (process kill or power loss) may lose it;
	// a later synced write, Sync or Close makes it durable.
	NoSync Durability = iota
	// Sync returns once the write-ahead log holding the write has been
	// fsynced: the write survives kill -9 and power loss. Use it for every
	// write that acknowledges something to a user.
	Sync
)

func (d Durability) options() *pebble.WriteOptions {
	if d == Sync {
		return pebble.Sync
	}
	return pebble.NoSync
}

// Store is one pebble database, the node's only one. It is safe for
// concurrent use. Every method returns ErrClosed after Close.
type Store struct {
	dir string
	cfg Config
	db  *pebble.DB
	lk  *pebble.Lock

	mu         sync.Mutex
	idle       sync.Cond // signalled when inflight drops to zero
	inflight   int
	closed     bool
	committers map[*Committer]struct{}

	vaultMu sync.Mutex // serialises OpenVault
	// atRest, when set, encrypts values under its prefixes on every write
	// and decrypts them on every read (EncryptAtRest).
	atRest atomic.Pointer[Vault]
}

// Open opens (creating if needed) the store in dir. It fails with ErrLocked
// when another Store, in this process or another, has dir open.
func Open(dir string, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	// One name per directory: pebble's in-process lock check is by name
	// (file locks do not exclude the process that holds them).
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	lk, err := pebble.LockDirectory(abs, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrLocked, abs, err)
	}
	cache := pebble.NewCache(cfg.CacheSize)
	defer cache.Unref()
	opts := &pebble.Options{
		FS:           vfs.Default,
		Lock:         lk,
		Cache:        cache,
		MemTableSize: cfg.MemTableSize,
		MaxOpenFiles: cfg.MaxOpenFiles,
		Logger:       pebbleLogger{cfg.Logger},
	}
	db, err := pebble.Open(abs, opts)
	if err != nil {
		lk.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	s := &Store{dir: abs, cfg: cfg, db: db, lk: lk, committers: make(map[*Committer]struct{})}
	s.idle.L = &s.mu
	return s, nil
}

// Dir returns the absolute directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Config returns the configuration the store was opened with.
func (s *Store) Config() Config { return s.cfg }

// Close stops the store's Committers, waits for operations in flight,
// and closes the database, releasing the directory lock. Writes made with
// NoSync are synced first. Close is safe to call more than once; later
// calls return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cs := make([]*Committer, 0, len(s.committers))
	for c := range s.committers {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.Stop()
	}
	s.mu.Lock()
	for s.inflight > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
	err := s.db.LogData(nil, pebble.Sync)
	err = errors.Join(err, s.db.Close())
	err = errors.Join(err, s.lk.Close())
	if err != nil {
		return fmt.Errorf("store: close %s: %w", s.dir, err)
	}
	return nil
}

// acquire registers an operation in flight; it fails once Close began.
func (s *Store) acquire() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.inflight++
	return nil
}

func (s *Store) release() {
	s.mu.Lock()
	s.inflight--
	if s.inflight == 0 {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// Get returns a copy of the value stored under key, or an error wrapping
// ErrNotFound.
func (s *Store) Get(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, ErrEmptyKey
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get %q: %w", key, err)
	}
	out := append(make([]byte, 0, len(v)), v...)
	if err := closer.Close(); err != nil {
		return nil, err
	}
	return s.openValue(key, out)
}

// Has reports whether key has a value.
func (s *Store) Has(key []byte) (bool, error) {
	_, err := s.Get(key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Put stores value under key. The store keeps its own copy.
func (s *Store) Put(key, value []byte, d Durability) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	value, err := s.sealValue(key, value)
	if err != nil {
		return err
	}
	if err := s.db.Set(key, value, d.options()); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	return nil
}

// Delete removes key; deleting a missing key is not an error.
func (s *Store) Delete(key []byte, d Durability) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.db.Delete(key, d.options()); err != nil {
		return fmt.Errorf("store: delete %q: %w", key, err)
	}
	return nil
}

// Sync makes every write made so far durable, as if each had been made
// with Sync.
func (s *Store) Sync() error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	return nil
}

// pebbleLogger sends pebble's messages to a slog.Logger (or nowhere).
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...interface{}) {
	if p.l != nil && p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (p pebbleLogger) Fatalf(format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	if p.l != nil {
		p.l.Error(msg, "component", "pebble")
	}
	panic("store: pebble fatal: " + msg)
}
