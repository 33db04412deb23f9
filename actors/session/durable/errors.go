package durable

import "errors"

// Errors of the durable session layer.
var (
	// ErrLogCorrupt: the stored session-head log does not hold together
	// (a hole among its leaves, or leaves that no longer match a
	// checkpoint the node signed).
	ErrLogCorrupt = errors.New("durable: session-head log corrupt")
	// ErrLogFailed: a batch holding a log leaf failed; the log takes no
	// more entries until the node restarts.
	ErrLogFailed = errors.New("durable: session-head log failed")
	// ErrLogRange: a proof was asked for sizes the log cannot answer.
	ErrLogRange = errors.New("durable: log range")
	// ErrBadEvent: an event to record lacks what names its record.
	ErrBadEvent = errors.New("durable: event cannot be recorded")
	// ErrNotLogged: the record has no leaf in the log.
	ErrNotLogged = errors.New("durable: record not in the session-head log")
)
