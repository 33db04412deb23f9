package ingress

import "errors"

var (
	// ErrAlreadyStarted is returned by a second Start.
	ErrAlreadyStarted = errors.New("ingress: already started")
	// ErrNoConn is returned when the NATS ingress has no connection.
	ErrNoConn = errors.New("ingress: no NATS connection")
)
