package tokenizer

import "errors"

// Sentinel errors; returned errors wrap these.
var (
	// ErrUnsupportedModel means tokenizer.ggml.model is not gpt2 or llama.
	ErrUnsupportedModel = errors.New("tokenizer: unsupported tokenizer model")
	// ErrMissingVocab means the token list is absent or empty.
	ErrMissingVocab = errors.New("tokenizer: missing vocabulary")
	// ErrInconsistent means the vocabulary arrays disagree (lengths, ids).
	ErrInconsistent = errors.New("tokenizer: inconsistent vocabulary")
	// ErrBadMerge means a merge rule is malformed.
	ErrBadMerge = errors.New("tokenizer: bad merge rule")
	// ErrNoTemplate means no chat template is known for the vocabulary.
	ErrNoTemplate = errors.New("tokenizer: no chat template")
)
