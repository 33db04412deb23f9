package ingress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// HTTP serves the node's HTTP API.
type HTTP struct {
	cfg      Config
	gatherer prometheus.Gatherer
	mux      *http.ServeMux
	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	stopped  bool
	done     chan struct{}
}

// NewHTTP returns the HTTP API; metrics are served from gatherer.
func NewHTTP(cfg Config, gatherer prometheus.Gatherer) *HTTP {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &HTTP{cfg: cfg, gatherer: gatherer, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /v1/tasks", h.postTask)
	h.mux.HandleFunc("GET /v1/agents", h.getAgents)
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	return h
}

// Handler is the API's http.Handler (for tests and embedding).
func (h *HTTP) Handler() http.Handler { return h.mux }

// Handle adds a route; later layers mount their endpoints with it.
func (h *HTTP) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// Start listens on addr ("host:port"; port 0 picks a free one) and serves
// in the background.
func (h *HTTP) Start(addr string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil || h.stopped {
		return ErrAlreadyStarted
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ingress: http listen %s: %w", addr, err)
	}
	h.ln = ln
	srv := &http.Server{Handler: h.mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	h.srv, h.done = srv, done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.cfg.Logger.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on (after Start).
func (h *HTTP) Addr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ln == nil {
		return ""
	}
	return h.ln.Addr().String()
}

// Stop shuts the server down, waiting up to timeout for requests in
// progress; safe to call twice.
func (h *HTTP) Stop(timeout time.Duration) {
	h.mu.Lock()
	srv, done := h.srv, h.done
	h.srv, h.stopped = nil, true
	h.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	<-done
}

var jsonOut = protojson.MarshalOptions{}

func (h *HTTP) writeProto(w http.ResponseWriter, status int, m proto.Message) {
	data, err := jsonOut.Marshal(m)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
	_, _ = w.Write([]byte("\n"))
}

func (h *HTTP) postTask(w http.ResponseWriter, r *http.Request) {
	// JSON carries bytes as base64 (4/3 larger), plus the other fields.
	limit := int64(h.cfg.MaxPayload)*4/3 + 64<<10
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		h.writeProto(w, http.StatusBadRequest, malformed(h.cfg.NodeID, fmt.Sprintf("reading body: %v", err)))
		return
	}
	if int64(len(body)) > limit {
		res := malformed(h.cfg.NodeID, fmt.Sprintf("request body is over %d bytes (input limit %d)", limit, h.cfg.MaxPayload))
		res.ErrorCode = messages.CodeTooLarge
		h.writeProto(w, http.StatusRequestEntityTooLarge, res)
		return
	}
	gov := h.cfg.Governance
	if gov != nil && r.Header.Get(HeaderEnvelope) != "" {
		h.postEnveloped(w, gov, body)
		return
	}
	if gov != nil && gov.RequireEnvelope {
		rej := gov.RejectUnsigned(h.cfg.NodeID)
		h.writeProto(w, StatusOf(rej), rej)
		return
	}
	card, reject := DecodeJSONTaskCard(body, h.cfg.MaxPayload, h.cfg.NodeID)
	if reject != nil {
		h.writeProto(w, StatusOf(reject), reject)
		return
	}
	res := h.cfg.Dispatcher.Dispatch(card)
	h.writeProto(w, StatusOf(res), res)
}

// postEnveloped serves a TaskCard sent in a signed PCI envelope (header
// Bizra-Envelope: v1, body the binary protobuf Envelope): the answer is
// the TaskResult in an envelope signed by the node, with the same header
// and Content-Type application/x-protobuf; the status is StatusOf the
// result.
func (h *HTTP) postEnveloped(w http.ResponseWriter, gov *Governance, body []byte) {
	card, res := gov.OpenCard(body, "", h.cfg.MaxPayload, h.cfg.NodeID, time.Now())
	if res == nil {
		res = h.cfg.Dispatcher.Dispatch(card)
	}
	sealed, err := gov.SealResult(res, card, time.Now())
	if err != nil {
		h.writeProto(w, http.StatusInternalServerError, malformed(h.cfg.NodeID, fmt.Sprintf("sealing the result: %v", err)))
		return
	}
	w.Header().Set(HeaderEnvelope, "v1")
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(StatusOf(res))
	_, _ = w.Write(sealed)
}

// StatusOf maps a result to the HTTP status of its response.
func StatusOf(r *messages.TaskResult) int {
	if r.GetState() == messages.TaskState_TASK_STATE_COMPLETED {
		return http.StatusOK
	}
	switch r.GetErrorCode() {
	case messages.CodeMalformed, messages.CodeMissingCapability, messages.CodeCapabilityMismatch:
		return http.StatusBadRequest
	case messages.CodeUnknownCapability:
		return http.StatusNotFound
	case messages.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case messages.CodeOverloaded:
		return http.StatusTooManyRequests
	case messages.CodeDraining, messages.CodeAgentUnavailable, messages.CodeAgentLost:
		return http.StatusServiceUnavailable
	case messages.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	if r.GetState() == messages.TaskState_TASK_STATE_REJECTED {
		return http.StatusForbidden
	}
	// The task ran and failed: the request itself was served.
	return http.StatusOK
}

func (h *HTTP) getAgents(w http.ResponseWriter, _ *http.Request) {
	h.writeProto(w, http.StatusOK, AgentList(h.cfg.Routes, h.cfg.NodeID))
}

func (h *HTTP) healthz(w http.ResponseWriter, _ *http.Request) {
	status, code := "ok", http.StatusOK
	if h.cfg.Dispatcher.Draining() {
		status, code = "draining", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": status, "node_id": h.cfg.NodeID, "agents": len(h.cfg.Routes.Load().Agents()),
	})
}
