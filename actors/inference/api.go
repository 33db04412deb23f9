package inference

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Routes served by the API (Go 1.22 ServeMux patterns).
const (
	RouteInference       = "POST /v1/inference"
	RouteBatch           = "POST /v1/batch"
	RouteBudget          = "GET /v1/budget"
	RouteChatCompletions = "POST /v1/chat/completions"
	RouteCompletions     = "POST /v1/completions"
	RouteModels          = "GET /v1/models"
	RouteModel           = "GET /v1/models/{id...}"
)

// Request headers the API reads when the body does not say.
const (
	HeaderAgent   = "Bizra-Agent"
	HeaderSession = "Bizra-Session"
)

// Register mounts the API's routes with handle, e.g. the node's
// (*ingress.HTTP).Handle or (*http.ServeMux).Handle. With auth tokens
// configured every route requires "Authorization: Bearer <token>".
func (g *Gateway) Register(handle func(pattern string, h http.Handler)) {
	routes := map[string]http.HandlerFunc{
		RouteInference:       g.serveInference,
		RouteBatch:           g.serveBatch,
		RouteBudget:          g.serveBudget,
		RouteChatCompletions: g.serveChat,
		RouteCompletions:     g.serveCompletions,
		RouteModels:          g.serveModels,
		RouteModel:           g.serveModel,
	}
	for _, p := range []string{RouteInference, RouteBatch, RouteBudget, RouteChatCompletions, RouteCompletions, RouteModels, RouteModel} {
		handle(p, g.auth(routes[p]))
	}
}

// Handler returns a mux serving only the API's routes.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	g.Register(mux.Handle)
	return mux
}

// HeaderEnvelope marks a request whose body is a signed PCI envelope
// (value "v1"); PayloadRequest is the envelope's payload type.
const (
	HeaderEnvelope = "Bizra-Envelope"
	PayloadRequest = "bizra.inference.v1.Request"
)

type signerKey struct{}

// signerOf is the verified signer of an enveloped request ("" when bare).
func signerOf(r *http.Request) string {
	s, _ := r.Context().Value(signerKey{}).(string)
	return s
}

// auth admits a request: a POST in a verified PCI envelope (its payload
// becomes the body and its signer the agent), else a bearer token when
// tokens are configured; auth.require_envelope refuses bare POSTs.
func (g *Gateway) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderEnvelope) != "" {
			if g.openEnv == nil {
				writeError(w, fmt.Errorf("%w: this node takes no enveloped inference requests", ErrUnauthorized), g.now())
				return
			}
			data, err := io.ReadAll(io.LimitReader(r.Body, g.bodyLimit()+4<<10))
			if err != nil {
				writeError(w, fmt.Errorf("%w: reading body: %v", ErrBadRequest, err), g.now())
				return
			}
			payload, signer, err := g.openEnv(data)
			if err != nil {
				writeError(w, fmt.Errorf("%w: envelope: %v", ErrUnauthorized, err), g.now())
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), signerKey{}, signer))
			r.Body = io.NopCloser(bytes.NewReader(payload))
			r.ContentLength = int64(len(payload))
			h(w, r)
			return
		}
		if g.cfg.Auth.RequireEnvelope && r.Method == http.MethodPost {
			writeError(w, fmt.Errorf("%w: this node requires requests in a signed PCI envelope (header %s: v1)", ErrUnauthorized, HeaderEnvelope), g.now())
			return
		}
		g.bearer(h).ServeHTTP(w, r)
	})
}

func (g *Gateway) bearer(h http.HandlerFunc) http.Handler {
	if len(g.tokens) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			for _, t := range g.tokens {
				if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), t) == 1 {
					h(w, r)
					return
				}
			}
		}
		writeError(w, fmt.Errorf("%w: missing or wrong bearer token", ErrUnauthorized), g.now())
	})
}

// bodyLimit bounds a request body: twice the prompt limit (JSON escapes)
// plus room for the other fields.
func (g *Gateway) bodyLimit() int64 { return 2*int64(g.cfg.Limits.MaxPromptBytes) + 64<<10 }

// decode reads a JSON body into v: oversize is ErrPromptTooLarge,
// anything but one JSON value is ErrBadRequest.
func (g *Gateway) decode(r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return fmt.Errorf("%w: reading body: %v", ErrBadRequest, err)
	}
	if int64(len(body)) > limit {
		return fmt.Errorf("%w: request body is over %d bytes", ErrPromptTooLarge, limit)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return fmt.Errorf("%w: empty body (want JSON)", ErrBadRequest)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: malformed JSON: %v", ErrBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: malformed JSON: data after the request object", ErrBadRequest)
	}
	var tail json.RawMessage
	if err := dec.Decode(&tail); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: malformed JSON: data after the request object", ErrBadRequest)
	}
	return nil
}

// common are the fields every request shape shares.
type common struct {
	model                         string
	maxTokens, maxCompletion, n   *int
	complexity, tier, session, ag string
	user                          string
	sampling                      Sampling
}

func (g *Gateway) fill(req *Request, c common, r *http.Request) error {
	req.Model = c.model
	req.Sampling = c.sampling
	switch {
	case c.maxTokens != nil:
		req.MaxTokens = *c.maxTokens
	case c.maxCompletion != nil:
		req.MaxTokens = *c.maxCompletion
	}
	if (c.maxTokens != nil && *c.maxTokens <= 0) || (c.maxCompletion != nil && *c.maxCompletion <= 0) {
		return fmt.Errorf("%w: max_tokens must be positive", ErrBadRequest)
	}
	if c.n != nil && *c.n != 1 {
		return fmt.Errorf("%w: n=%d is not supported (only 1)", ErrBadRequest, *c.n)
	}
	var err error
	if req.Complexity, err = ParseComplexity(c.complexity); err != nil {
		return err
	}
	if req.Tier, err = ParseTier(c.tier); err != nil {
		return err
	}
	req.Agent = firstNonEmpty(signerOf(r), c.ag, r.Header.Get(HeaderAgent), c.user)
	req.Session = firstNonEmpty(c.session, r.Header.Get(HeaderSession))
	req.ID = fmt.Sprintf("bz-%s-%d", g.prefix, g.seq.Add(1))
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
