package inference

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseConfigContract(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
backends:
  - name: node-a            # unique
    kind: openai            # openai-compatible HTTP; local for a GGUF file (path: ...)
    url: http://127.0.0.1:8080/v1
    api_key_env: NODE_A_KEY # optional
    models: [qwen2.5-0.5b]  # optional
    tier: NANO              # optional
    timeout: 30s
  - name: local
    kind: local
    path: /models/tiny.gguf
budget: {window: 10m, agent_tokens: 5000, shares: {fast: 0.7, standard: 0.3, elevated: 0.06, exceptional: 0.09}}
auth: {tokens: [abc]}
limits: {max_prompt_bytes: 1000}
`))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Backends[0]
	if b.Name != "node-a" || b.Kind != KindOpenAI || b.URL != "http://127.0.0.1:8080/v1" || b.APIKeyEnv != "NODE_A_KEY" ||
		len(b.Models) != 1 || b.Models[0] != "qwen2.5-0.5b" || b.Tier != Nano || b.Timeout != 30*time.Second {
		t.Fatalf("backend %+v", b)
	}
	if cfg.Backends[1].Tier != TierNone || cfg.Budget.Window != 10*time.Minute || cfg.Budget.AgentTokens != 5000 ||
		cfg.Budget.SessionTokens != 200_000 || cfg.Limits.MaxPromptBytes != 1000 || cfg.Limits.DefaultMaxTokens != 256 {
		t.Fatalf("config %+v", cfg)
	}
	if l := LocalBackendConfig("/x/qwen.gguf"); l.Tier != Nano || l.Kind != KindLocal || ModelID(l.Path) != "qwen" {
		t.Fatalf("local %+v", l)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want string
	}{
		{"backends: [{kind: openai, url: http://x/v1}]", "backends[0].name"},
		{"backends: [{name: a, kind: openai, url: http://x/v1}, {name: a, kind: openai, url: http://y/v1}]", "backends[1] (a).name is not unique"},
		{"backends: [{name: a, kind: grpc}]", "backends[0] (a).kind"},
		{"backends: [{name: a, kind: openai, url: 'ftp://x'}]", "backends[0] (a).url"},
		{"backends: [{name: a, kind: local}]", "backends[0] (a).path"},
		{"backends: [{name: a, kind: local, path: x, models: [m1, m2]}]", "backends[0] (a).models"},
		{"backends: [{name: a, kind: openai, url: http://x/v1, tier: HUGE}]", "tier"},
		{"backends: [{name: a, kind: openai, url: http://x/v1, colour: red}]", "colour"},
		{"budget: {window: 0s}", "budget.window"},
		{"limits: {default_max_tokens: 9999}", "limits.default_max_tokens"},
		{"breaker: {failures: 0}", "breaker.failures"},
		{"auth: {tokens: ['']}", "auth.tokens[0]"},
		{"seal_ttl: 1500ms", "seal_ttl"},
	} {
		_, err := ParseConfig([]byte(tc.yaml))
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestGatewayLifecycle(t *testing.T) {
	cfg := localConfig(tinyModel(t))
	cfg.Backends = append(cfg.Backends, BackendConfig{Name: "keyed", Kind: KindOpenAI, URL: "http://127.0.0.1:1/v1", APIKeyEnv: "MISSING_KEY"})
	g, err := NewGateway(cfg, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "MISSING_KEY") {
		t.Fatalf("start with a missing key: %v", err)
	}
	g.Stop()

	g, err = NewGateway(localConfig(tinyModel(t)), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Infer(t.Context(), &Request{Messages: []Message{{Role: "user", Content: "x"}}}); !errors.Is(err, ErrStopped) {
		t.Fatalf("before start: %v", err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := g.Text(t.Context(), "hello", TextOptions{MaxTokens: 4, Agent: "llm-1"})
	if err != nil || res.Backend != "local" || res.Agent != "llm-1" || res.Usage.CompletionTokens == 0 {
		t.Fatalf("text: %+v %v", res, err)
	}
	// A stream in flight is cancelled by Stop, which returns after it.
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once bool
		_, err := g.InferStream(t.Context(), &Request{Messages: []Message{{Role: "user", Content: "x"}}, MaxTokens: 200},
			func(string) error {
				if !once {
					once = true
					close(started)
				}
				return nil
			})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Logf("stream ended before Stop: %v", err)
		started = nil
	}
	g.Stop()
	g.Stop()
	if started != nil {
		if err := <-done; err != nil && !errors.Is(err, ErrStopped) {
			t.Fatalf("stream after stop: %v", err)
		}
	}
	if _, err := g.Infer(t.Context(), &Request{Messages: []Message{{Role: "user", Content: "x"}}}); !errors.Is(err, ErrStopped) {
		t.Fatalf("after stop: %v", err)
	}
}
