package model

import "errors"

// Sentinel errors; returned errors wrap these.
var (
	// ErrUnsupportedArch means general.architecture is not llama or qwen2.
	ErrUnsupportedArch = errors.New("model: unsupported architecture")
	// ErrBadModel means a required tensor or hyperparameter is missing or
	// has the wrong shape.
	ErrBadModel = errors.New("model: malformed model")
	// ErrContextFull means a sequence has reached its context length.
	ErrContextFull = errors.New("model: context full")
	// ErrBadToken means a token id is outside the vocabulary.
	ErrBadToken = errors.New("model: token id out of range")
	// ErrBadConfig means a configuration field is invalid.
	ErrBadConfig = errors.New("model: invalid config")
	// ErrUnknownBackend means the backend name is not cpu, opencl or auto.
	ErrUnknownBackend = errors.New("model: unknown backend")
	// ErrClosed means the model was used after Close.
	ErrClosed = errors.New("model: closed")
)
