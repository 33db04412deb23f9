package cluster

import "errors"

var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("cluster: invalid config")
	// ErrUnknownMember: the member id was never seen.
	ErrUnknownMember = errors.New("cluster: unknown member")
)
