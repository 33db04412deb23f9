package inference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultBackendTimeout bounds an OpenAI backend's answer (or, when
// streaming, the wait for each event) when BackendConfig.Timeout is 0.
const DefaultBackendTimeout = 60 * time.Second

// maxResponseBytes bounds a non-streamed backend response body.
const maxResponseBytes = 16 << 20

// OpenAIConfig configures an OpenAI-compatible HTTP backend.
type OpenAIConfig struct {
	Name string
	// URL is the API base, e.g. http://127.0.0.1:11434/v1; the client
	// appends /chat/completions, /completions and /models.
	URL string
	// APIKey is sent as "Authorization: Bearer <key>" when set.
	APIKey string
	// Models pins the served models; empty means list them from /models.
	Models []string
	// Timeout bounds a whole non-streamed answer, and for streams the
	// response headers and the gap between events; 0 means
	// DefaultBackendTimeout.
	Timeout time.Duration
	// Client is the HTTP client; nil means a client of the gateway's own.
	Client *http.Client
}

// OpenAI is a Backend speaking the OpenAI API over HTTP: Ollama, LM
// Studio, vLLM, llama-server, or another BIZRA node.
type OpenAI struct {
	cfg       OpenAIConfig
	base      string
	client    *http.Client
	ownClient bool
	closeOnce sync.Once
}

// NewOpenAI returns the backend; it does no I/O.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.Name == "" || cfg.URL == "" {
		return nil, fmt.Errorf("%w: openai backend needs a name and a url", ErrBadConfig)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultBackendTimeout
	}
	o := &OpenAI{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), client: cfg.Client}
	if o.client == nil {
		o.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		o.ownClient = true
	}
	return o, nil
}

// Name implements Backend.
func (o *OpenAI) Name() string { return o.cfg.Name }

// Close implements Backend: it closes idle connections of its own client.
func (o *OpenAI) Close() error {
	o.closeOnce.Do(func() {
		if o.ownClient {
			o.client.CloseIdleConnections()
		}
	})
	return nil
}

// Models implements Backend: the pinned models, or GET {url}/models.
func (o *OpenAI) Models(ctx context.Context) ([]ModelInfo, error) {
	if len(o.cfg.Models) > 0 {
		out := make([]ModelInfo, len(o.cfg.Models))
		for i, m := range o.cfg.Models {
			out[i] = ModelInfo{ID: m, OwnedBy: o.cfg.Name}
		}
		return out, nil
	}
	return o.listModels(ctx)
}

func (o *OpenAI) listModels(ctx context.Context) ([]ModelInfo, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, o.cfg.Timeout, ErrBackendTimeout)
	defer cancel()
	body, err := o.do(ctx, http.MethodGet, "/models", nil)
	if err != nil {
		return nil, err
	}
	var list wireModelList
	if err := json.Unmarshal(body, &list); err != nil || list.Data == nil {
		return nil, o.garbage("/models", body, err)
	}
	out := make([]ModelInfo, 0, len(list.Data))
	for _, m := range list.Data {
		if m.ID == "" {
			return nil, o.garbage("/models", body, errors.New("model without id"))
		}
		owner := m.OwnedBy
		if owner == "" {
			owner = o.cfg.Name
		}
		out = append(out, ModelInfo{ID: m.ID, OwnedBy: owner})
	}
	return out, nil
}

// Health implements Backend: GET {url}/models must answer.
func (o *OpenAI) Health(ctx context.Context) error {
	_, err := o.listModels(ctx)
	return err
}

func chatBody(req ChatRequest, stream bool) wireChatRequest {
	w := wireChatRequest{Model: req.Model, Temperature: req.Temperature, TopP: req.TopP, Seed: req.Seed,
		Stop: stopList(req.Stop), Stream: stream}
	if req.MaxTokens > 0 {
		w.MaxTokens = &req.MaxTokens
	}
	for _, m := range req.Messages {
		w.Messages = append(w.Messages, wireMessage{Role: m.Role, Content: contentText(m.Content)})
	}
	if stream {
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	return w
}

func completionBody(req CompletionRequest, stream bool) wireCompletionRequest {
	w := wireCompletionRequest{Model: req.Model, Prompt: promptField(req.Prompt), Temperature: req.Temperature,
		TopP: req.TopP, Seed: req.Seed, Stop: stopList(req.Stop), Stream: stream}
	if req.MaxTokens > 0 {
		w.MaxTokens = &req.MaxTokens
	}
	if stream {
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	return w
}

// Chat implements Backend.
func (o *OpenAI) Chat(ctx context.Context, req ChatRequest) (*Output, error) {
	return o.call(ctx, "/chat/completions", chatBody(req, false), true)
}

// Complete implements Backend.
func (o *OpenAI) Complete(ctx context.Context, req CompletionRequest) (*Output, error) {
	return o.call(ctx, "/completions", completionBody(req, false), false)
}

// ChatStream implements Backend.
func (o *OpenAI) ChatStream(ctx context.Context, req ChatRequest, onDelta OnDelta) (*Output, error) {
	return o.stream(ctx, "/chat/completions", chatBody(req, true), true, onDelta)
}

// CompleteStream implements Backend.
func (o *OpenAI) CompleteStream(ctx context.Context, req CompletionRequest, onDelta OnDelta) (*Output, error) {
	return o.stream(ctx, "/completions", completionBody(req, true), false, onDelta)
}

func (o *OpenAI) call(ctx context.Context, path string, body any, chat bool) (*Output, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, o.cfg.Timeout, ErrBackendTimeout)
	defer cancel()
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding request: %v", ErrBadRequest, err)
	}
	raw, err := o.do(ctx, http.MethodPost, path, data)
	if err != nil {
		return nil, err
	}
	var resp wireResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, o.garbage(path, raw, err)
	}
	if len(resp.Choices) == 0 {
		return nil, o.garbage(path, raw, errors.New("no choices"))
	}
	c := resp.Choices[0]
	out := &Output{Model: resp.Model, Upstream: resp.Bizra, FinishReason: "stop"}
	switch {
	case chat && c.Message != nil:
		out.Text = c.Message.Content
	case !chat && c.Text != nil:
		out.Text = *c.Text
	default:
		return nil, o.garbage(path, raw, errors.New("choice has no "+map[bool]string{true: "message", false: "text"}[chat]))
	}
	if c.FinishReason != nil && *c.FinishReason != "" {
		out.FinishReason = *c.FinishReason
	}
	if resp.Usage != nil {
		out.PromptTokens, out.CompletionTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	}
	return out, nil
}

func (o *OpenAI) stream(ctx context.Context, path string, body any, chat bool, onDelta OnDelta) (*Output, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding request: %v", ErrBadRequest, err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The watchdog cancels the request when the backend is silent for
	// longer than the timeout: before the headers, and between events.
	watchdog := time.AfterFunc(o.cfg.Timeout, func() { cancel(ErrBackendTimeout) })
	defer watchdog.Stop()
	resp, err := o.send(ctx, http.MethodPost, path, data)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, o.statusError(path, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, o.garbage(path, raw, fmt.Errorf("content type %q, want text/event-stream", ct))
	}
	out := &Output{}
	var text strings.Builder
	chunks := 0
	err = readSSE(resp.Body, func(d []byte) error {
		watchdog.Reset(o.cfg.Timeout)
		var ch wireResponse
		if err := json.Unmarshal(d, &ch); err != nil {
			return o.garbage(path, d, err)
		}
		if ch.Choices == nil && ch.Usage == nil && ch.Bizra == nil {
			var e wireError
			if json.Unmarshal(d, &e) == nil && e.Error.Message != "" {
				return fmt.Errorf("%w: %s: stream error: %s", ErrBackendBadResponse, o.cfg.Name, e.Error.Message)
			}
			return o.garbage(path, d, errors.New("chunk without choices"))
		}
		chunks++
		if ch.Model != "" {
			out.Model = ch.Model
		}
		if ch.Usage != nil {
			out.PromptTokens, out.CompletionTokens = ch.Usage.PromptTokens, ch.Usage.CompletionTokens
		}
		if ch.Bizra != nil {
			out.Upstream = append(json.RawMessage(nil), ch.Bizra...)
		}
		for _, c := range ch.Choices {
			var piece string
			if chat && c.Delta != nil && c.Delta.Content != nil {
				piece = *c.Delta.Content
			} else if !chat && c.Text != nil {
				piece = *c.Text
			}
			if c.FinishReason != nil && *c.FinishReason != "" {
				out.FinishReason = *c.FinishReason
			}
			if piece != "" {
				text.WriteString(piece)
				if err := onDelta(piece); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		if cause := context.Cause(ctx); ctx.Err() != nil {
			return nil, o.ctxError(path, cause)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %s%s: stream ended without [DONE] after %d chunks", ErrBackendBadResponse, o.cfg.Name, path, chunks)
		}
		return nil, err
	}
	if chunks == 0 {
		return nil, fmt.Errorf("%w: %s%s: empty stream", ErrBackendBadResponse, o.cfg.Name, path)
	}
	if out.FinishReason == "" {
		out.FinishReason = "stop"
	}
	out.Text = text.String()
	return out, nil
}

// send makes the request and classifies transport errors.
func (o *OpenAI) send(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, o.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBackendUnavailable, o.cfg.Name, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if o.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.cfg.APIKey)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, o.ctxError(path, context.Cause(ctx))
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrBackendUnavailable, o.cfg.Name, err)
	}
	return resp, nil
}

// do sends a request and returns the body of a 200 answer.
func (o *OpenAI) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	resp, err := o.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, o.ctxError(path, context.Cause(ctx))
		}
		return nil, fmt.Errorf("%w: %s%s: reading body: %v", ErrBackendBadResponse, o.cfg.Name, path, err)
	}
	if len(raw) > maxResponseBytes {
		return nil, fmt.Errorf("%w: %s%s: body over %d bytes", ErrBackendBadResponse, o.cfg.Name, path, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, o.statusError(path, resp.StatusCode, raw)
	}
	return raw, nil
}

func (o *OpenAI) ctxError(path string, cause error) error {
	if errors.Is(cause, ErrBackendTimeout) {
		return fmt.Errorf("%w: %s%s: no answer within %v", ErrBackendTimeout, o.cfg.Name, path, o.cfg.Timeout)
	}
	return cause
}

// statusError classifies a non-200 answer: 400 and 422 are the request's
// fault (no fallback), 429 and 503 mean busy, other codes a broken
// backend.
func (o *OpenAI) statusError(path string, code int, raw []byte) error {
	msg := strings.TrimSpace(string(raw))
	var e wireError
	if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
		msg = e.Error.Message
	}
	msg = clip(msg, 300)
	switch {
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity || code == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w: %s%s: HTTP %d: %s", ErrBackendRejected, o.cfg.Name, path, code, msg)
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return fmt.Errorf("%w: %s%s: HTTP %d: %s", ErrBackendUnavailable, o.cfg.Name, path, code, msg)
	case code == http.StatusGatewayTimeout:
		return fmt.Errorf("%w: %s%s: HTTP %d: %s", ErrBackendTimeout, o.cfg.Name, path, code, msg)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w: %s%s: HTTP %d (check api_key_env): %s", ErrBackendUnavailable, o.cfg.Name, path, code, msg)
	}
	return fmt.Errorf("%w: %s%s: HTTP %d: %s", ErrBackendBadResponse, o.cfg.Name, path, code, msg)
}

func (o *OpenAI) garbage(path string, raw []byte, err error) error {
	return fmt.Errorf("%w: %s%s: not an OpenAI response (%v): %q", ErrBackendBadResponse, o.cfg.Name, path, err, clip(string(raw), 120))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
