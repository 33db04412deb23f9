package gate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// This file holds the package's only I/O: the JSONL decision log.

// Log levels (seed §10.2).
const (
	LevelDebug = "DEBUG"
	LevelInfo  = "INFO"
	LevelWarn  = "WARN"
	LevelError = "ERROR"
)

// LogComponent is the component name written with every gate decision.
const LogComponent = "fate_gate"

// LogEntry is one JSONL record with the seed §10.2 fields.
type LogEntry struct {
	Timestamp time.Time      `json:"-"`
	Level     string         `json:"level"`
	Component string         `json:"component"`
	Message   string         `json:"message"`
	Context   map[string]any `json:"context"`
}

// MarshalJSON writes the timestamp as ISO-8601 (RFC 3339, UTC, nanoseconds).
func (e LogEntry) MarshalJSON() ([]byte, error) {
	type plain LogEntry
	ctx := e.Context
	if ctx == nil {
		ctx = map[string]any{}
	}
	p := plain(e)
	p.Context = ctx
	return json.Marshal(struct {
		Timestamp string `json:"timestamp"`
		plain
	}{e.Timestamp.UTC().Format(time.RFC3339Nano), p})
}

// LogConfig configures a Log.
type LogConfig struct {
	// Path is the active log file, e.g. <data dir>/logs/fate_gate.jsonl.
	// Its directory is created if missing.
	Path string
	// MaxBytes rotates the file before a write would make it larger than
	// this. Must be > 0. A single record larger than MaxBytes is still
	// written, alone, to a fresh file.
	MaxBytes int64
	// MaxFiles is how many rotated files are kept (Path.1 newest ...
	// Path.MaxFiles oldest); older ones are deleted. 0 keeps none.
	MaxFiles int
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c LogConfig) Validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: LogConfig.Path is empty", ErrInvalidConfig)
	case c.MaxBytes <= 0:
		return fmt.Errorf("%w: LogConfig.MaxBytes = %d, want > 0", ErrInvalidConfig, c.MaxBytes)
	case c.MaxFiles < 0:
		return fmt.Errorf("%w: LogConfig.MaxFiles = %d, want >= 0", ErrInvalidConfig, c.MaxFiles)
	}
	return nil
}

// Log appends JSONL records to a file, rotating it by size. It is safe for
// concurrent use; Close may be called more than once.
type Log struct {
	cfg    LogConfig
	mu     sync.Mutex
	f      *os.File
	size   int64
	closed bool
}

// OpenLog opens (appending) or creates the log file.
func OpenLog(cfg LogConfig) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("gate: decision log: %w", err)
	}
	l := &Log{cfg: cfg}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	f, err := os.OpenFile(l.cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("gate: decision log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("gate: decision log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends one record.
func (l *Log) Write(e LogEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("gate: decision log: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLogClosed
	}
	if l.size > 0 && l.size+int64(len(line)) > l.cfg.MaxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("gate: decision log: %w", err)
	}
	return nil
}

// rotate shifts Path.i to Path.i+1, Path to Path.1, drops what is beyond
// MaxFiles and reopens Path empty. Called with mu held.
func (l *Log) rotate() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("gate: decision log: %w", err)
	}
	l.f = nil
	name := func(i int) string { return l.cfg.Path + "." + strconv.Itoa(i) }
	if l.cfg.MaxFiles == 0 {
		if err := os.Remove(l.cfg.Path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("gate: decision log: %w", err)
		}
	} else {
		if err := os.Remove(name(l.cfg.MaxFiles)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("gate: decision log: %w", err)
		}
		for i := l.cfg.MaxFiles - 1; i >= 1; i-- {
			if err := os.Rename(name(i), name(i+1)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("gate: decision log: %w", err)
			}
		}
		if err := os.Rename(l.cfg.Path, name(1)); err != nil {
			return fmt.Errorf("gate: decision log: %w", err)
		}
	}
	return l.open()
}

// LogDecision writes a decision: level INFO for ALLOW, WARN for BLOCK,
// message "<VERDICT> <tool>: <rule>", and the decision's fields as context.
func (l *Log) LogDecision(d Decision) error {
	return l.Write(DecisionEntry(d))
}

// DecisionEntry turns a decision into a log record.
func DecisionEntry(d Decision) LogEntry {
	level := LevelInfo
	if !d.Allowed() {
		level = LevelWarn
	}
	findings := make([]map[string]any, 0, len(d.Findings))
	for _, f := range d.Findings {
		findings = append(findings, map[string]any{
			"rule": f.Rule, "dimension": f.Dimension.String(), "penalty": f.Penalty, "detail": f.Detail,
		})
	}
	return LogEntry{
		Timestamp: d.Time,
		Level:     level,
		Component: LogComponent,
		Message:   fmt.Sprintf("%s %s: %s", d.Verdict, d.Tool, d.Rule),
		Context: map[string]any{
			"verdict":    string(d.Verdict),
			"tool":       d.Tool,
			"score":      d.Score,
			"threshold":  d.Threshold,
			"dimensions": d.Dimensions,
			"rule":       d.Rule,
			"reason":     d.Reason,
			"hook":       d.Hook,
			"requester":  d.Requester,
			"session_id": d.SessionID,
			"findings":   findings,
		},
	}
}

// Close closes the file. Later calls return nil; Write after Close returns
// ErrLogClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
