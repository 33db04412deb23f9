package gguf

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these with
// context; test with errors.Is.
var (
	// ErrBadMagic means the file does not start with "GGUF".
	ErrBadMagic = errors.New("gguf: bad magic")
	// ErrUnsupportedVersion means the header version is not 2 or 3.
	ErrUnsupportedVersion = errors.New("gguf: unsupported version")
	// ErrTruncated means the file ended before a structure it declares.
	ErrTruncated = errors.New("gguf: truncated file")
	// ErrTooLarge means a declared count or size cannot fit in the file.
	ErrTooLarge = errors.New("gguf: count or size too large")
	// ErrBadValueType means a metadata value type is unknown.
	ErrBadValueType = errors.New("gguf: unknown metadata value type")
	// ErrBadTensorType means a tensor type is unknown or unsupported.
	ErrBadTensorType = errors.New("gguf: unsupported tensor type")
	// ErrBadTensor means a tensor descriptor is inconsistent (dimensions,
	// offset, alignment, block size or bounds).
	ErrBadTensor = errors.New("gguf: bad tensor descriptor")
	// ErrBadAlignment means general.alignment is not a power of two.
	ErrBadAlignment = errors.New("gguf: bad alignment")
	// ErrDuplicate means a metadata key or tensor name appears twice.
	ErrDuplicate = errors.New("gguf: duplicate name")
	// ErrNotFound means a requested key or tensor does not exist.
	ErrNotFound = errors.New("gguf: not found")
	// ErrWrongType means a metadata value has a different type than asked.
	ErrWrongType = errors.New("gguf: wrong metadata type")
	// ErrClosed means the file was used after Close.
	ErrClosed = errors.New("gguf: file closed")
)
