package runtime

import "errors"

var (
	// ErrInvalidConfig wraps every configuration error; the message names the field.
	ErrInvalidConfig = errors.New("runtime: invalid config")
	// ErrNATS is returned when the embedded NATS server cannot start or the
	// configured NATS cannot be reached.
	ErrNATS = errors.New("runtime: nats")
	// ErrStart wraps a failure to assemble the actor tree.
	ErrStart = errors.New("runtime: start")
)
