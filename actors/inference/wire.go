package inference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// OpenAI-compatible JSON shapes, used by the API server and by the
// OpenAI backend client. Requests accept the OpenAI forms clients send
// (content as a string or as text parts, stop as a string or a list);
// unknown fields are ignored.

type wireChatRequest struct {
	Model               string         `json:"model"`
	Messages            []wireMessage  `json:"messages"`
	MaxTokens           *int           `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int           `json:"max_completion_tokens,omitempty"`
	Temperature         *float64       `json:"temperature,omitempty"`
	TopP                *float64       `json:"top_p,omitempty"`
	Seed                *int64         `json:"seed,omitempty"`
	Stop                stopList       `json:"stop,omitempty"`
	N                   *int           `json:"n,omitempty"`
	Stream              bool           `json:"stream,omitempty"`
	StreamOptions       *streamOptions `json:"stream_options,omitempty"`
	User                string         `json:"user,omitempty"`
	// BIZRA extensions.
	Complexity string `json:"complexity,omitempty"`
	Tier       string `json:"tier,omitempty"`
	SessionID  string `json:"session_id,omitempty"`
	Agent      string `json:"agent,omitempty"`
}

type wireCompletionRequest struct {
	Model         string         `json:"model"`
	Prompt        promptField    `json:"prompt"`
	MaxTokens     *int           `json:"max_tokens,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	Seed          *int64         `json:"seed,omitempty"`
	Stop          stopList       `json:"stop,omitempty"`
	N             *int           `json:"n,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
	User          string         `json:"user,omitempty"`
	Complexity    string         `json:"complexity,omitempty"`
	Tier          string         `json:"tier,omitempty"`
	SessionID     string         `json:"session_id,omitempty"`
	Agent         string         `json:"agent,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type wireMessage struct {
	Role    string      `json:"role"`
	Content contentText `json:"content"`
}

// contentText is a message content: a string, null, or a list of parts
// of which the "text" ones are joined.
type contentText string

func (c *contentText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*c = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = contentText(s)
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("content must be a string or a list of parts: %w", err)
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return fmt.Errorf("content part type %q is not supported (only text)", p.Type)
		}
		sb.WriteString(p.Text)
	}
	*c = contentText(sb.String())
	return nil
}

// stopList is a stop field: a string or a list of strings.
type stopList []string

func (s *stopList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = stopList{v}
		return nil
	}
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("stop must be a string or a list of strings: %w", err)
	}
	*s = v
	return nil
}

// promptField is a completion prompt: a string or a list of one string.
type promptField string

func (p *promptField) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*p = promptField(v)
		return nil
	}
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("prompt must be a string or a list of one string: %w", err)
	}
	if len(v) != 1 {
		return fmt.Errorf("prompt lists %d strings; one is supported", len(v))
	}
	*p = promptField(v[0])
	return nil
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type wireOutMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type wireDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// wireChoice covers chat choices (message), chat chunks (delta) and
// completion choices (text) for decoding; encoders fill one of them.
type wireChoice struct {
	Index        int             `json:"index"`
	Message      *wireOutMessage `json:"message,omitempty"`
	Delta        *wireDelta      `json:"delta,omitempty"`
	Text         *string         `json:"text,omitempty"`
	FinishReason *string         `json:"finish_reason"`
}

// wireResponse is a chat completion, a chat chunk, a completion or a
// completion chunk.
type wireResponse struct {
	ID      string          `json:"id"`
	Object  string          `json:"object"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []wireChoice    `json:"choices"`
	Usage   *wireUsage      `json:"usage,omitempty"`
	Bizra   json.RawMessage `json:"bizra,omitempty"`
}

type wireModel struct {
	ID       string   `json:"id"`
	Object   string   `json:"object"`
	Created  int64    `json:"created"`
	OwnedBy  string   `json:"owned_by"`
	Tier     string   `json:"tier,omitempty"`
	Backends []string `json:"backends,omitempty"`
}

type wireModelList struct {
	Object string      `json:"object"`
	Data   []wireModel `json:"data"`
}

// wireError is the OpenAI error body.
type wireError struct {
	Error wireErrorBody `json:"error"`
}

type wireErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}
