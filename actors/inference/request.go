package inference

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/bizra/bizra/messages"
	"strings"
	"time"
)

// Kind is the shape of a request: a chat (messages) or a text completion
// (prompt).
type Kind int

// Kinds.
const (
	KindChat Kind = iota
	KindCompletion
)

// AnonymousAgent is the agent a request without one is charged to.
const AnonymousAgent = "anonymous"

// Request is one inference, as the HTTP API and agents hand it to
// Gateway.Infer.
type Request struct {
	// ID names the request; "" means the gateway assigns one.
	ID   string
	Kind Kind
	// Model is a model id, or "" / "auto" to route by complexity.
	Model    string
	Messages []Message // KindChat
	Prompt   string    // KindCompletion
	// MaxTokens bounds the generated tokens; 0 means
	// Limits.DefaultMaxTokens.
	MaxTokens int
	Sampling
	// Complexity and Tier are optional routing hints (see Selector).
	Complexity Complexity
	Tier       Tier
	// Agent is who is charged; "" means AnonymousAgent.
	Agent string
	// Session is the session the request belongs to ("" none).
	Session string
}

// PromptText is the text the request asks about: the prompt, or the
// messages' contents joined by newlines.
func (r *Request) PromptText() string {
	if r.Kind == KindCompletion {
		return r.Prompt
	}
	parts := make([]string, len(r.Messages))
	for i, m := range r.Messages {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n")
}

// TokenUsage counts a request's tokens (OpenAI's usage object).
type TokenUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Result is a finished inference: the seed's InferenceResult, served as
// JSON by POST /v1/inference and carried in the "bizra" block of the
// OpenAI-compatible responses.
type Result struct {
	ID           string          `json:"id"`
	Object       string          `json:"object"` // "inference.result"
	Created      int64           `json:"created"`
	Model        string          `json:"model"`
	Backend      string          `json:"backend"`
	Tier         Tier            `json:"tier"`
	Complexity   Complexity      `json:"complexity"`
	Text         string          `json:"text"`
	FinishReason string          `json:"finish_reason"`
	Usage        TokenUsage      `json:"usage"`
	Budget       Balance         `json:"budget"`
	Decisions    []Decision      `json:"decisions"`
	LatencyMS    float64         `json:"latency_ms"`
	Governance   *Governance     `json:"governance,omitempty"`
	Upstream     json.RawMessage `json:"upstream,omitempty"` // the serving node's own "bizra" block
	Agent        string          `json:"agent"`
	Session      string          `json:"session_id,omitempty"`
	PromptSHA256 string          `json:"prompt_sha256"`
}

// Route renders how the result was served for a task's governance record.
func (r *Result) Route() *messages.InferenceRoute {
	out := &messages.InferenceRoute{Tier: r.Tier.String(), Model: r.Model, Backend: r.Backend,
		PromptTokens: uint32(r.Usage.PromptTokens), CompletionTokens: uint32(r.Usage.CompletionTokens)}
	for _, d := range r.Decisions {
		line := d.Backend + " " + d.Action
		if d.Reason != "" {
			line += ": " + d.Reason
		}
		if d.Error != "" {
			line += ": " + d.Error
		}
		out.Decisions = append(out.Decisions, line)
	}
	return out
}

// SealedResult is the payload of a result's PCI envelope: the answer and
// what it answered, without the envelope itself.
type SealedResult struct {
	ID           string     `json:"id"`
	Created      int64      `json:"created"`
	Model        string     `json:"model"`
	Backend      string     `json:"backend"`
	Tier         Tier       `json:"tier"`
	Text         string     `json:"text"`
	FinishReason string     `json:"finish_reason"`
	Usage        TokenUsage `json:"usage"`
	Agent        string     `json:"agent"`
	Session      string     `json:"session_id,omitempty"`
	PromptSHA256 string     `json:"prompt_sha256"`
}

// SealedPayload is the JSON the result's envelope signs.
func (r *Result) SealedPayload() ([]byte, error) {
	return json.Marshal(SealedResult{ID: r.ID, Created: r.Created, Model: r.Model, Backend: r.Backend, Tier: r.Tier,
		Text: r.Text, FinishReason: r.FinishReason, Usage: r.Usage, Agent: r.Agent, Session: r.Session,
		PromptSHA256: r.PromptSHA256})
}

func promptHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func unixNow(t time.Time) int64 { return t.Unix() }
