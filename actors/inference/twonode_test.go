package inference

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTwoGateways: A serves a tiny model over its OpenAI-compatible API;
// B has A as an openai backend (and the same model locally as its
// fallback). A chat completion sent to B is served by A and comes back
// sealed by B, with A's own sealed block inside; streaming too. When A
// stops, B answers from its next backend; a gateway with only A fails
// with an OpenAI error.
func TestTwoGateways(t *testing.T) {
	path := tinyModel(t)
	a := startNode(t, localConfig(path), nil)

	cfgB := DefaultConfig()
	cfgB.Backends = []BackendConfig{
		{Name: "node-a", Kind: KindOpenAI, URL: a.URL(), Tier: Nano, Timeout: 5 * time.Second},
		{Name: "b-local", Kind: KindLocal, Path: path, Models: []string{tinyID}, Tier: Nano, Slots: 2, Context: 256},
	}
	b := startNode(t, cfgB, nil)
	cfgC := DefaultConfig()
	cfgC.Backends = []BackendConfig{{Name: "node-a", Kind: KindOpenAI, URL: a.URL(), Models: []string{tinyID}, Timeout: 5 * time.Second}}
	cfgC.Breaker.Failures = 1
	c := startNode(t, cfgC, nil)

	body := map[string]any{"model": tinyID, "max_tokens": 8, "messages": []map[string]any{{"role": "user", "content": "Tell me about the sea."}}}

	// B lists A's model, served by both backends.
	st, raw := get(t, b.srv.URL+"/v1/models")
	if st != 200 {
		t.Fatalf("models: %d %s", st, raw)
	}
	var list wireModelList
	if err := json.Unmarshal(raw, &list); err != nil || list.Object != "list" || len(list.Data) != 1 ||
		list.Data[0].ID != tinyID || list.Data[0].Object != "model" || strings.Join(list.Data[0].Backends, ",") != "node-a,b-local" {
		t.Fatalf("model list: %s", raw)
	}

	// Direct answer from A, for comparison.
	st, raw = post(t, a.URL()+"/chat/completions", body)
	if st != 200 {
		t.Fatalf("A: %d %s", st, raw)
	}
	direct := decodeChat(t, raw)

	st, raw = post(t, b.URL()+"/chat/completions", body)
	if st != 200 {
		t.Fatalf("B: %d %s", st, raw)
	}
	got := decodeChat(t, raw)
	if got.Object != "chat.completion" || len(got.Choices) != 1 || got.Choices[0].Message.Role != "assistant" {
		t.Fatalf("shape: %s", raw)
	}
	if got.Choices[0].Message.Content != direct.Choices[0].Message.Content {
		t.Fatalf("B's text %q != A's %q", got.Choices[0].Message.Content, direct.Choices[0].Message.Content)
	}
	if got.Bizra.Backend != "node-a" || got.Bizra.Tier != Nano || got.Bizra.Budget.Tokens <= 0 {
		t.Fatalf("bizra block: %+v", got.Bizra)
	}
	if got.Usage.CompletionTokens == 0 || got.Usage.TotalTokens != got.Usage.PromptTokens+got.Usage.CompletionTokens {
		t.Fatalf("usage: %+v", got.Usage)
	}
	sealed := verifyEnvelope(t, got.Bizra.Governance, b.key.Public().(ed25519.PublicKey), time.Now())
	if sealed.Text != got.Choices[0].Message.Content || sealed.Backend != "node-a" || sealed.ID != got.ID {
		t.Fatalf("sealed payload %+v does not match the response", sealed)
	}
	if len(got.Bizra.Governance.Session) == 0 {
		t.Fatal("no session proof")
	}
	// A's own block travels inside B's: A sealed the same text.
	var up bizraBlock
	if err := json.Unmarshal(got.Bizra.Upstream, &up); err != nil {
		t.Fatalf("upstream block: %v (%s)", err, got.Bizra.Upstream)
	}
	if up.Backend != "local" {
		t.Fatalf("upstream backend %q", up.Backend)
	}
	if s := verifyEnvelope(t, up.Governance, a.key.Public().(ed25519.PublicKey), time.Now()); s.Text != sealed.Text {
		t.Fatalf("A sealed %q, B sealed %q", s.Text, sealed.Text)
	}

	// Streaming through B.
	sbody := map[string]any{"model": tinyID, "max_tokens": 8, "stream": true,
		"messages": []map[string]any{{"role": "user", "content": "Tell me about the sea."}}}
	st, raw = post(t, b.URL()+"/chat/completions", sbody)
	if st != 200 {
		t.Fatalf("B stream: %d %s", st, raw)
	}
	chunks, done := sseChunks(t, raw)
	if !done || len(chunks) < 3 {
		t.Fatalf("stream: done=%v chunks=%d\n%s", done, len(chunks), raw)
	}
	var text strings.Builder
	var final wireResponse
	for i, ch := range chunks {
		var w wireResponse
		if err := json.Unmarshal(ch, &w); err != nil {
			t.Fatalf("chunk %d: %v: %s", i, err, ch)
		}
		if w.Object != "chat.completion.chunk" {
			t.Fatalf("chunk object %q", w.Object)
		}
		for _, c := range w.Choices {
			if c.Delta != nil && c.Delta.Content != nil {
				text.WriteString(*c.Delta.Content)
			}
		}
		if w.Bizra != nil {
			final = w
		}
	}
	if text.String() != direct.Choices[0].Message.Content {
		t.Fatalf("streamed %q, want %q", text.String(), direct.Choices[0].Message.Content)
	}
	var fb bizraBlock
	if err := json.Unmarshal(final.Bizra, &fb); err != nil || final.Usage == nil {
		t.Fatalf("final chunk: %v %+v", err, final)
	}
	if s := verifyEnvelope(t, fb.Governance, b.key.Public().(ed25519.PublicKey), time.Now()); s.Text != text.String() || fb.Backend != "node-a" {
		t.Fatalf("stream envelope %+v, backend %s", s, fb.Backend)
	}

	// Stop A: B falls back to its local backend, and says so.
	a.stop()
	st, raw = post(t, b.URL()+"/chat/completions", body)
	if st != 200 {
		t.Fatalf("B after A stopped: %d %s", st, raw)
	}
	got = decodeChat(t, raw)
	if got.Bizra.Backend != "b-local" || got.Choices[0].Message.Content != direct.Choices[0].Message.Content {
		t.Fatalf("fallback answer: backend %s text %q", got.Bizra.Backend, got.Choices[0].Message.Content)
	}
	if len(got.Bizra.Decisions) != 2 || got.Bizra.Decisions[0].Backend != "node-a" || got.Bizra.Decisions[0].Action != ActionFailed ||
		got.Bizra.Decisions[1].Action != ActionServed {
		t.Fatalf("decisions: %+v", got.Bizra.Decisions)
	}
	verifyEnvelope(t, got.Bizra.Governance, b.key.Public().(ed25519.PublicKey), time.Now())

	// Streaming falls back too (nothing was sent before A failed).
	st, raw = post(t, b.URL()+"/chat/completions", sbody)
	if chunks, done := sseChunks(t, raw); st != 200 || !done || len(chunks) < 3 {
		t.Fatalf("stream fallback: %d %s", st, raw)
	}

	// C has only A: a clear 503 with the decisions.
	st, raw = post(t, c.URL()+"/chat/completions", body)
	if st != http.StatusServiceUnavailable {
		t.Fatalf("C: %d %s", st, raw)
	}
	if typ, code := errorCode(t, raw); typ != "server_error" || code != "backend_unavailable" {
		t.Fatalf("C error %s %s", typ, code)
	}
	var eb errorBody
	_ = json.Unmarshal(raw, &eb)
	if eb.Bizra == nil || len(eb.Bizra.Decisions) != 1 || eb.Bizra.Decisions[0].Action != ActionFailed {
		t.Fatalf("C decisions: %s", raw)
	}
	// The breaker opened (failures: 1): the next request skips A at once.
	st, raw = post(t, c.URL()+"/chat/completions", body)
	_ = json.Unmarshal(raw, &eb)
	if st != http.StatusServiceUnavailable || eb.Bizra == nil || eb.Bizra.Decisions[0].Action != ActionSkip ||
		!strings.Contains(eb.Bizra.Decisions[0].Reason, "circuit open") {
		t.Fatalf("C with open circuit: %d %s", st, raw)
	}
	if c.g.BreakerState("node-a") != Open {
		t.Fatal("breaker not open")
	}
}
