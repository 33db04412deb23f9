package gate

import "errors"

var (
	// ErrInvalidConfig is wrapped by Config.Validate and LogConfig.Validate;
	// the message names the offending field.
	ErrInvalidConfig = errors.New("gate: invalid config")
	// ErrInvalidHook is returned by Gate.Register for a hook without a name,
	// with a function missing for its phase, or with a bad matcher.
	ErrInvalidHook = errors.New("gate: invalid hook")
	// ErrDuplicateHook is returned by Gate.Register when a hook with the same
	// name is already registered.
	ErrDuplicateHook = errors.New("gate: duplicate hook name")
	// ErrLogClosed is returned by Log.Write after Log.Close.
	ErrLogClosed = errors.New("gate: decision log closed")
)
