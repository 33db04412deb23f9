package agent

import "errors"

var (
	// ErrUnknownKind is returned for an agent kind no factory is registered for.
	ErrUnknownKind = errors.New("agent: unknown kind")
	// ErrDeadline is returned when a task's deadline passed before it ran.
	ErrDeadline = errors.New("agent: deadline exceeded")
	// ErrPanic wraps a panic raised by a handler.
	ErrPanic = errors.New("agent: handler panicked")
	// ErrInvalidBackoff is returned by Backoff.Validate.
	ErrInvalidBackoff = errors.New("agent: invalid backoff")
)
