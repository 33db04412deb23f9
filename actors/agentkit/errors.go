package agentkit

import "errors"

var (
	// ErrRefused is returned when a node refuses the registration.
	ErrRefused = errors.New("agentkit: registration refused")
	// ErrNoNode is returned when no node answers the registration.
	ErrNoNode = errors.New("agentkit: no node answered")
	// ErrInvalidConfig is returned by Config.Validate.
	ErrInvalidConfig = errors.New("agentkit: invalid config")
)
