package peer

import "errors"

var (
	// ErrUntrusted: a member's answer failed verification.
	ErrUntrusted = errors.New("peer: untrusted answer")
	// ErrBadMessage: a peer message could not be used.
	ErrBadMessage = errors.New("peer: bad message")
)
