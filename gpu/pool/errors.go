package pool

import "errors"

// Sentinel errors; returned errors wrap these.
var (
	// ErrBusy means every slot is active and the queue is full.
	ErrBusy = errors.New("pool: busy (slots and queue full)")
	// ErrCancelled means the request was cancelled.
	ErrCancelled = errors.New("pool: request cancelled")
	// ErrDeadline means the request's deadline passed.
	ErrDeadline = errors.New("pool: deadline exceeded")
	// ErrBadRequest means a request field is invalid.
	ErrBadRequest = errors.New("pool: bad request")
	// ErrBadConfig means a Config field is invalid.
	ErrBadConfig = errors.New("pool: invalid config")
	// ErrStopped means the pool was stopped.
	ErrStopped = errors.New("pool: stopped")
)
