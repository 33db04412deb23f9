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

// RejectError is returned by a handler that refuses a task without running
// it (a gate block, say). The task ends REJECTED with Code.
type RejectError struct {
	Code    string
	Message string
}

func (e *RejectError) Error() string { return e.Code + ": " + e.Message }

// FailError is returned by a handler whose task ran and failed with a
// specific code (instead of the generic E_AGENT_FAILED).
type FailError struct {
	Code    string
	Message string
}

func (e *FailError) Error() string { return e.Code + ": " + e.Message }
