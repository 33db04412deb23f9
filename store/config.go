package store

import (
	"fmt"
	"log/slog"
)

// Config tunes a Store. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// CacheSize is the block cache size in bytes (> 0).
	CacheSize int64
	// MemTableSize is the size in bytes of one memtable (>= 1 MiB). Writes
	// go to the write-ahead log and a memtable; a full memtable is flushed
	// to an sstable.
	MemTableSize uint64
	// MaxOpenFiles bounds the number of open sstable files (>= 16).
	MaxOpenFiles int
	// CommitMaxOps bounds the number of operations a Committer puts into
	// one group commit (>= 1). A single Batch larger than this is still
	// committed whole, on its own.
	CommitMaxOps int
	// CommitMaxBytes bounds the key and value bytes a Committer puts into
	// one group commit (>= 1), with the same exception as CommitMaxOps.
	CommitMaxBytes int
	// CommitPipeline is how many group commits a Committer may have in
	// flight at once (>= 1). With 1 (the default), the writes that arrive
	// while a group is being synced all form the next group; more lets
	// groups overlap and become smaller (pebble still covers groups waiting
	// on the log with one fsync), which measured slower on this hardware.
	CommitPipeline int
	// Logger receives pebble's informational messages at debug level. Nil
	// discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration a node uses unless told
// otherwise.
func DefaultConfig() Config {
	return Config{
		CacheSize:      64 << 20,
		MemTableSize:   16 << 20,
		MaxOpenFiles:   1000,
		CommitMaxOps:   4096,
		CommitMaxBytes: 8 << 20,
		CommitPipeline: 1,
	}
}

// Validate reports the first invalid field, wrapping ErrConfig.
func (c Config) Validate() error {
	switch {
	case c.CacheSize <= 0:
		return fmt.Errorf("%w: CacheSize %d must be > 0", ErrConfig, c.CacheSize)
	case c.MemTableSize < 1<<20:
		return fmt.Errorf("%w: MemTableSize %d must be >= 1 MiB", ErrConfig, c.MemTableSize)
	case c.MemTableSize >= 4<<30:
		return fmt.Errorf("%w: MemTableSize %d must be < 4 GiB", ErrConfig, c.MemTableSize)
	case c.MaxOpenFiles < 16:
		return fmt.Errorf("%w: MaxOpenFiles %d must be >= 16", ErrConfig, c.MaxOpenFiles)
	case c.CommitMaxOps < 1:
		return fmt.Errorf("%w: CommitMaxOps %d must be >= 1", ErrConfig, c.CommitMaxOps)
	case c.CommitMaxBytes < 1:
		return fmt.Errorf("%w: CommitMaxBytes %d must be >= 1", ErrConfig, c.CommitMaxBytes)
	case c.CommitPipeline < 1:
		return fmt.Errorf("%w: CommitPipeline %d must be >= 1", ErrConfig, c.CommitPipeline)
	}
	return nil
}
