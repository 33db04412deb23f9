package ntu

import "errors"

var (
	// ErrInvalidConfig is wrapped by Config.Validate; the message names the field.
	ErrInvalidConfig = errors.New("ntu: invalid config")
	// ErrNonFinite is the reason recorded when an observation is NaN or ±Inf.
	ErrNonFinite = errors.New("ntu: non-finite observation")
)
