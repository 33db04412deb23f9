package cluster

import "errors"

var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("cluster: invalid config")
	// ErrUnknownMember: the member id was never seen.
	ErrUnknownMember = errors.New("cluster: unknown member")
	// ErrMetaTooLarge: the member's metadata does not fit in gossip.
	ErrMetaTooLarge = errors.New("cluster: metadata too large")
	// ErrBadMeta: gossiped metadata could not be read.
	ErrBadMeta = errors.New("cluster: malformed metadata")
	// ErrBadKey: a gossip key is not base64 of 16, 24 or 32 bytes.
	ErrBadKey = errors.New("cluster: bad gossip key")
	// ErrStart: the member could not start or join.
	ErrStart = errors.New("cluster: start")
)
