package router

import "errors"

var (
	// ErrInvalidName is returned for an agent name that is empty or has
	// characters outside [A-Za-z0-9_-].
	ErrInvalidName = errors.New("router: invalid agent name")
	// ErrNoCapabilities is returned when an agent declares no capability.
	ErrNoCapabilities = errors.New("router: agent declares no capabilities")
	// ErrInvalidCapability is returned for a capability that is not a valid
	// NATS subject token.
	ErrInvalidCapability = errors.New("router: invalid capability")
	// ErrNameTaken is returned when a different agent already uses the name.
	ErrNameTaken = errors.New("router: agent name taken")
	// ErrUnknownAgent is returned for an operation on an agent the table lacks.
	ErrUnknownAgent = errors.New("router: unknown agent")
)

var (
	// ErrUnknownCapability is returned when no agent declares the capability.
	ErrUnknownCapability = errors.New("router: no agent has the capability")
	// ErrOverloaded is returned when every agent with the capability is at
	// its mailbox bound.
	ErrOverloaded = errors.New("router: overloaded")
)
