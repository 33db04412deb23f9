package session

import "errors"

var (
	// ErrIllegalTransition is returned for a state change not in the
	// transition table (see state.go).
	ErrIllegalTransition = errors.New("session: illegal transition")
	// ErrUnknownState is returned for a state byte or name that is not one
	// of the five states.
	ErrUnknownState = errors.New("session: unknown state")
	// ErrCommitted is returned when appending to a committed session.
	ErrCommitted = errors.New("session: session is committed")
	// ErrUnknownNode is returned for a hash that is not a node of the session.
	ErrUnknownNode = errors.New("session: unknown node")
	// ErrTimestamp is returned for a timestamp outside the encodable range
	// or earlier than a parent's.
	ErrTimestamp = errors.New("session: bad timestamp")
	// ErrParents is returned for a parent list that is empty where parents
	// are required, too long, or not strictly ascending.
	ErrParents = errors.New("session: bad parents")
	// ErrInvalidID is returned for an empty or too long session id.
	ErrInvalidID = errors.New("session: invalid session id")
	// ErrMalformed is returned by the decoders for input that is not a
	// well-formed canonical encoding.
	ErrMalformed = errors.New("session: malformed encoding")
	// ErrNotFound is returned by a NodeStore for a missing node.
	ErrNotFound = errors.New("session: node not found")
	// ErrCorrupt is returned when a stored node does not hash to its key.
	ErrCorrupt = errors.New("session: stored node does not match its hash")
	// ErrProof is wrapped by every VerifyProof failure; the message names
	// the node and the check that failed.
	ErrProof = errors.New("session: proof verification failed")
	// ErrLogRange is returned for a leaf index or tree size outside the log.
	ErrLogRange = errors.New("session: log index or size out of range")
	// ErrLogProof is wrapped by inclusion and consistency proof failures.
	ErrLogProof = errors.New("session: log proof verification failed")
	// ErrCheckpoint is wrapped by signed checkpoint failures.
	ErrCheckpoint = errors.New("session: checkpoint verification failed")
)
