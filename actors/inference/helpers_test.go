package inference

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bizra/bizra/gpu/model"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/encoding/protojson"
)

const tinyID = "bizra-tiny"

// tinyModel writes a generated tiny qwen2 GGUF into a temp dir.
func tinyModel(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), tinyID+".gguf")
	if err := model.GenTiny(p, model.GenConfig{Arch: model.ArchQwen2, Quant: "q8_0", Dims: model.DimsTiny, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return p
}

// pollUntil waits for cond without sleeping blindly: it yields between
// checks and fails after timeout.
func pollUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// node is a started gateway on a real HTTP server.
type node struct {
	g   *Gateway
	srv *httptest.Server
	key ed25519.PrivateKey
	reg *prometheus.Registry
}

func (n *node) URL() string { return n.srv.URL + "/v1" }

func (n *node) stop() {
	n.srv.Close()
	n.g.Stop()
}

// startNode starts a gateway with its own key and registry.
func startNode(t testing.TB, cfg Config, now func() time.Time) *node {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := NewGovernor(GovernorConfig{Key: key, SessionProofs: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	g, err := NewGateway(cfg, Deps{Registerer: reg, Governor: gov, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Getenv: func(k string) string {
		return map[string]string{"NODE_KEY": "sekret"}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	n := &node{g: g, srv: httptest.NewServer(g.Handler()), key: key, reg: reg}
	t.Cleanup(n.stop)
	return n
}

func localConfig(path string) Config {
	cfg := DefaultConfig()
	b := LocalBackendConfig(path)
	b.Models, b.Slots, b.Context = []string{tinyID}, 4, 256
	cfg.Backends = []BackendConfig{b}
	return cfg
}

// post sends a JSON body and returns the status and body.
func post(t testing.TB, url string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// chatResp is the part of a chat completion the tests read.
type chatResp struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage wireUsage  `json:"usage"`
	Bizra bizraBlock `json:"bizra"`
	Error *wireErrorBody
}

func decodeChat(t testing.TB, body []byte) chatResp {
	t.Helper()
	var c chatResp
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return c
}

// sseChunks parses an SSE body into its data payloads; done reports
// whether it ended with [DONE].
func sseChunks(t testing.TB, body []byte) (chunks []json.RawMessage, done bool) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			done = true
			continue
		}
		chunks = append(chunks, json.RawMessage(line))
	}
	return chunks, done
}

// verifyEnvelope checks a governance block's envelope with the PCI
// verifier (thresholds of the seed, only signer pub trusted) and returns
// its sealed payload.
func verifyEnvelope(t testing.TB, gov *Governance, pub ed25519.PublicKey, now time.Time) SealedResult {
	t.Helper()
	if gov == nil || len(gov.Envelope) == 0 {
		t.Fatal("no envelope in governance block")
	}
	env := &messages.Envelope{}
	if err := protojson.Unmarshal(gov.Envelope, env); err != nil {
		t.Fatalf("envelope: %v", err)
	}
	cfg := pci.DefaultConfig()
	cfg.Trust = pci.Allowlist(pub)
	v, err := pci.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(env, now); err != nil {
		t.Fatalf("envelope does not verify: %v (snr %.3f ihsan %.3f)", err, env.GetSnrScore(), env.GetIhsanScore())
	}
	if env.GetPayloadType() != PayloadInferenceResult {
		t.Fatalf("payload type %q", env.GetPayloadType())
	}
	var sr SealedResult
	if err := json.Unmarshal(env.GetPayload(), &sr); err != nil {
		t.Fatal(err)
	}
	return sr
}

func errorCode(t testing.TB, body []byte) (string, string) {
	t.Helper()
	var e wireError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Type == "" || e.Error.Code == nil {
		t.Fatalf("not an OpenAI error body: %s", body)
	}
	return e.Error.Type, *e.Error.Code
}
