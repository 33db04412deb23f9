package inference

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMalformedInputs: each bad request gets its status and an OpenAI
// error body, and the gateway keeps serving.
func TestMalformedInputs(t *testing.T) {
	garbage, _ := startFake(t, "garbage", "")
	hang, _ := startFake(t, "hang", "")
	e500, _ := startFake(t, "error500", "")
	cfg := localConfig(tinyModel(t))
	cfg.Limits.MaxPromptBytes = 1024
	cfg.Backends = append(cfg.Backends,
		BackendConfig{Name: "garbage", Kind: KindOpenAI, URL: garbage.URL + "/v1", Models: []string{"garbage-model"}},
		BackendConfig{Name: "hang", Kind: KindOpenAI, URL: hang.URL + "/v1", Models: []string{"hang-model"}, Timeout: 200 * time.Millisecond},
		BackendConfig{Name: "e500", Kind: KindOpenAI, URL: e500.URL + "/v1", Models: []string{"e500-model"}})
	n := startNode(t, cfg, nil)
	chat := n.URL() + "/chat/completions"
	msg := func(model, content string, extra ...any) string {
		m := map[string]any{"model": model, "max_tokens": 4, "messages": []map[string]any{{"role": "user", "content": content}}}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name   string
		url    string
		body   string
		status int
		typ    string
		code   string
	}{
		{"unknown model", chat, msg("gpt-9", "hi"), 404, "invalid_request_error", "model_not_found"},
		{"unknown model streamed", chat, msg("gpt-9", "hi", "stream", true), 404, "invalid_request_error", "model_not_found"},
		{"no messages", chat, `{"model":"bizra-tiny","messages":[]}`, 400, "invalid_request_error", "empty_prompt"},
		{"empty content", chat, msg(tinyID, ""), 400, "invalid_request_error", "empty_prompt"},
		{"blank content", chat, msg(tinyID, " \n\t"), 400, "invalid_request_error", "empty_prompt"},
		{"oversize prompt", chat, msg(tinyID, strings.Repeat("a", 1025)), 413, "invalid_request_error", "prompt_too_large"},
		{"oversize body", chat, msg(tinyID, strings.Repeat("a", 200<<10)), 413, "invalid_request_error", "prompt_too_large"},
		{"max_tokens over the model's tier", chat, msg(tinyID, "hi", "max_tokens", 1000), 400, "invalid_request_error", "max_tokens_over_tier_budget"},
		{"max_tokens over MEGA", chat, msg("", "hi", "max_tokens", 40000), 400, "invalid_request_error", "max_tokens_over_tier_budget"},
		{"max_tokens over an asked tier", chat, msg("", "hi", "max_tokens", 600, "tier", "NANO"), 400, "invalid_request_error", "max_tokens_over_tier_budget"},
		{"negative max_tokens", chat, msg(tinyID, "hi", "max_tokens", -1), 400, "invalid_request_error", "bad_request"},
		{"malformed JSON", chat, `{"model":`, 400, "invalid_request_error", "bad_request"},
		{"empty body", chat, ``, 400, "invalid_request_error", "bad_request"},
		{"trailing data", chat, msg(tinyID, "hi") + `{}`, 400, "invalid_request_error", "bad_request"},
		{"array body", chat, `[1,2]`, 400, "invalid_request_error", "bad_request"},
		{"wrong content type", chat, `{"model":"bizra-tiny","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "invalid_request_error", "bad_request"},
		{"n=2", chat, msg(tinyID, "hi", "n", 2), 400, "invalid_request_error", "bad_request"},
		{"bad role", chat, `{"model":"bizra-tiny","messages":[{"role":"robot","content":"hi"}]}`, 400, "invalid_request_error", "bad_request"},
		{"bad tier", chat, msg(tinyID, "hi", "tier", "HUGE"), 400, "invalid_request_error", "bad_request"},
		{"bad complexity", chat, msg(tinyID, "hi", "complexity", "EASY"), 400, "invalid_request_error", "bad_request"},
		{"bad temperature", chat, msg(tinyID, "hi", "temperature", 5), 400, "invalid_request_error", "bad_request"},
		{"empty stop", chat, msg(tinyID, "hi", "stop", ""), 400, "invalid_request_error", "bad_request"},
		{"gate blocks a secret", chat, msg(tinyID, "my key is AKIAIOSFODNN7EXAMPLE ok"), 403, "permission_error", "gate_blocked"},
		{"garbage backend", chat, msg("garbage-model", "hi"), 502, "server_error", "backend_bad_response"},
		{"backend 500", chat, msg("e500-model", "hi"), 502, "server_error", "backend_bad_response"},
		{"hanging backend", chat, msg("hang-model", "hi"), 504, "server_error", "backend_timeout"},
		{"hanging backend streamed", chat, msg("hang-model", "hi", "stream", true), 504, "server_error", "backend_timeout"},
		{"completion empty prompt", n.URL() + "/completions", `{"model":"bizra-tiny","prompt":""}`, 400, "invalid_request_error", "empty_prompt"},
		{"completion prompt list", n.URL() + "/completions", `{"model":"bizra-tiny","prompt":["a","b"]}`, 400, "invalid_request_error", "bad_request"},
		{"inference prompt and messages", n.URL() + "/inference", `{"prompt":"a","messages":[{"role":"user","content":"b"}]}`, 400, "invalid_request_error", "bad_request"},
		{"empty batch", n.URL() + "/batch", `[]`, 400, "invalid_request_error", "bad_request"},
		{"batch not a list", n.URL() + "/batch", `{"x":1}`, 400, "invalid_request_error", "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := post(t, tc.url, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, raw)
			}
			typ, code := errorCode(t, raw)
			if typ != tc.typ || code != tc.code {
				t.Fatalf("error %s/%s, want %s/%s: %s", typ, code, tc.typ, tc.code, raw)
			}
		})
	}
	// Still serving.
	st, raw := post(t, chat, msg(tinyID, "still there?"))
	if st != 200 {
		t.Fatalf("after bad inputs: %d %s", st, raw)
	}
}

func TestAuth(t *testing.T) {
	cfg := localConfig(tinyModel(t))
	cfg.Auth = AuthConfig{Tokens: []string{"t0ken"}, TokenEnv: "NODE_KEY"}
	n := startNode(t, cfg, nil)
	body := map[string]any{"model": tinyID, "max_tokens": 2, "messages": []map[string]any{{"role": "user", "content": "hi"}}}
	st, raw := post(t, n.URL()+"/chat/completions", body)
	if st != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s", st, raw)
	}
	if _, code := errorCode(t, raw); code != "invalid_api_key" {
		t.Fatalf("code %s", code)
	}
	if st, raw := post(t, n.URL()+"/chat/completions", body, "Authorization", "Bearer wrong"); st != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d %s", st, raw)
	}
	for _, tok := range []string{"t0ken", "sekret"} {
		if st, raw := post(t, n.URL()+"/chat/completions", body, "Authorization", "Bearer "+tok); st != 200 {
			t.Fatalf("token %s: %d %s", tok, st, raw)
		}
	}
}

// TestNativeAPI covers /v1/inference, /v1/batch, /v1/completions,
// /v1/models/{id} and complexity routing with the seed's request shape.
func TestNativeAPI(t *testing.T) {
	fake, _ := startFake(t, "ok", "fake-7b")
	cfg := localConfig(tinyModel(t))
	cfg.Backends = append(cfg.Backends, BackendConfig{Name: "fake", Kind: KindOpenAI, URL: fake.URL + "/v1", Tier: Micro})
	n := startNode(t, cfg, nil)

	// The seed's call: complexity MEDIUM, max_tokens 1024 → MICRO → fake.
	st, raw := post(t, n.URL()+"/inference", map[string]any{"prompt": "Explain quantum computing", "complexity": "MEDIUM", "max_tokens": 1024, "session_id": "s-1"})
	if st != 200 {
		t.Fatalf("inference: %d %s", st, raw)
	}
	var res Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Tier != Micro || res.Complexity != Medium || res.Backend != "fake" || res.Text != "echo: Explain quantum computing" ||
		res.Usage.TotalTokens != 7 || res.Budget.Session != "s-1" || res.Governance == nil || res.Governance.Admission.Verdict != "ALLOW" {
		t.Fatalf("result %s", raw)
	}
	if gp := res.Governance.Proof; gp.Ihsan < 0.95 || len(gp.Session) == 0 || !strings.HasPrefix(gp.Signer, "ed25519:") {
		t.Fatalf("governance %+v", gp)
	}
	// Low complexity goes to the NANO local model.
	st, raw = post(t, n.URL()+"/inference", map[string]any{"prompt": "hi", "max_tokens": 4})
	if err := json.Unmarshal(raw, &res); st != 200 || err != nil || res.Backend != "local" || res.Tier != Nano {
		t.Fatalf("low: %d %s", st, raw)
	}

	// Batch: results in order, errors per item.
	st, raw = post(t, n.URL()+"/batch", []map[string]any{
		{"prompt": "one", "model": "fake-7b"}, {"prompt": "", "model": "fake-7b"}, {"prompt": "three", "model": "nope"}, {"prompt": "four", "max_tokens": 2},
	})
	var items []struct {
		Status int            `json:"status"`
		Text   string         `json:"text"`
		Error  *wireErrorBody `json:"error"`
	}
	if err := json.Unmarshal(raw, &items); st != 200 || err != nil || len(items) != 4 {
		t.Fatalf("batch: %d %s", st, raw)
	}
	if items[0].Status != 200 || items[0].Text != "echo: one" || items[1].Status != 400 || items[2].Status != 404 ||
		items[2].Error == nil || items[3].Status != 200 {
		t.Fatalf("batch items: %s", raw)
	}

	// Completions, plain and streamed, through the fake backend.
	st, raw = post(t, n.URL()+"/completions", map[string]any{"model": "fake-7b", "prompt": "abc", "max_tokens": 5})
	c := decodeChat(t, raw)
	if st != 200 || c.Object != "text_completion" || c.Choices[0].Text != "echo: abc" {
		t.Fatalf("completion: %d %s", st, raw)
	}
	st, raw = post(t, n.URL()+"/completions", map[string]any{"model": "fake-7b", "prompt": "a b c", "max_tokens": 5, "stream": true})
	chunks, done := sseChunks(t, raw)
	var text strings.Builder
	for _, ch := range chunks {
		var w wireResponse
		_ = json.Unmarshal(ch, &w)
		for _, c := range w.Choices {
			if c.Text != nil {
				text.WriteString(*c.Text)
			}
		}
	}
	if st != 200 || !done || text.String() != "echo: a b c" {
		t.Fatalf("completion stream %q: %s", text.String(), raw)
	}

	st, raw = get(t, n.srv.URL+"/v1/models/fake-7b")
	var m wireModel
	if err := json.Unmarshal(raw, &m); st != 200 || err != nil || m.ID != "fake-7b" || m.Tier != "MICRO" || m.OwnedBy != "fake" {
		t.Fatalf("model: %d %s", st, raw)
	}
	if st, raw = get(t, n.srv.URL+"/v1/models/nope"); st != 404 {
		t.Fatalf("missing model: %d %s", st, raw)
	}
}
