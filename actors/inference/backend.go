package inference

import (
	"context"
	"encoding/json"
)

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Sampling holds the optional sampling parameters a request may set.
type Sampling struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

// ChatRequest is a chat completion sent to a backend.
type ChatRequest struct {
	Model     string
	Messages  []Message
	MaxTokens int
	Sampling
}

// CompletionRequest is a text completion sent to a backend.
type CompletionRequest struct {
	Model     string
	Prompt    string
	MaxTokens int
	Sampling
}

// Output is a backend's answer.
type Output struct {
	Text             string
	FinishReason     string // "stop" or "length"
	PromptTokens     int    // 0 when the backend did not say
	CompletionTokens int
	Model            string
	// Upstream is the "bizra" block of a BIZRA node's answer (its tier,
	// budget and signed envelope), kept when the backend is another node.
	Upstream json.RawMessage
}

// OnDelta receives streamed text as it is produced. An error aborts the
// request and is returned by the streaming call.
type OnDelta func(text string) error

// ModelInfo is one model a backend serves.
type ModelInfo struct {
	ID      string `json:"id"`
	OwnedBy string `json:"owned_by"`
}

// Backend is somewhere inferences run: the local engine or an
// OpenAI-compatible HTTP server. Implementations are safe for concurrent
// use. Errors wrap ErrBackendUnavailable, ErrBackendTimeout,
// ErrBackendBadResponse or ErrBackendRejected, or are the caller's
// context error.
type Backend interface {
	// Name is the backend's configured name.
	Name() string
	// Models lists the models the backend serves.
	Models(ctx context.Context) ([]ModelInfo, error)
	// Chat runs a chat completion.
	Chat(ctx context.Context, req ChatRequest) (*Output, error)
	// ChatStream runs a chat completion, passing text to onDelta as it
	// comes.
	ChatStream(ctx context.Context, req ChatRequest, onDelta OnDelta) (*Output, error)
	// Complete runs a text completion.
	Complete(ctx context.Context, req CompletionRequest) (*Output, error)
	// CompleteStream runs a text completion, passing text to onDelta.
	CompleteStream(ctx context.Context, req CompletionRequest, onDelta OnDelta) (*Output, error)
	// Health reports whether the backend can serve now.
	Health(ctx context.Context) error
	// Close releases the backend; safe to call twice.
	Close() error
}
