package inference

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/bizra/bizra/gpu/pool"
	"gopkg.in/yaml.v3"
)

// Backend kinds.
const (
	KindOpenAI = "openai" // an OpenAI-compatible HTTP server
	KindLocal  = "local"  // a GGUF file run in-process
)

// Config is the gateway's configuration. Its YAML form is the contract
// acceptance checks use:
//
//	backends:
//	  - name: node-a            # unique
//	    kind: openai            # openai-compatible HTTP; `local` for a GGUF file (path: ...)
//	    url: http://127.0.0.1:8080/v1
//	    api_key_env: NODE_A_KEY # optional: environment variable holding a bearer token
//	    models: [qwen2.5-0.5b]  # optional: pinned names; otherwise listed from the backend
//	    tier: NANO              # optional: tier this backend serves
//	budget: {window: 1h, agent_tokens: 1000000, session_tokens: 200000,
//	         shares: {fast: 0.70, standard: 0.30, elevated: 0.06, exceptional: 0.09}}
//	auth: {tokens: [secret], token_env: BIZRA_API_KEY}
//	limits: {max_prompt_bytes: 262144, default_max_tokens: 256, max_batch: 64,
//	         batch_concurrency: 4, request_timeout: 5m}
//	breaker: {failures: 3, open_for: 10s, probes: 1}
//	selector: {allow_downgrade: true, cross_model: false}
//	seal_ttl: 5m
type Config struct {
	// OwnedBy is the owner shown for this node's models; default "bizra".
	OwnedBy  string          `yaml:"owned_by"`
	Backends []BackendConfig `yaml:"backends"`
	Budget   BudgetConfig    `yaml:"budget"`
	Auth     AuthConfig      `yaml:"auth"`
	Limits   Limits          `yaml:"limits"`
	Breaker  BreakerConfig   `yaml:"breaker"`
	Selector SelectorConfig  `yaml:"selector"`
	// SealTTL is the lifetime of the PCI envelopes the default governor
	// seals results with.
	SealTTL time.Duration `yaml:"seal_ttl"`
}

// BackendConfig is one backend.
type BackendConfig struct {
	Name      string   `yaml:"name"`
	Kind      string   `yaml:"kind"`
	URL       string   `yaml:"url"`         // openai: API base, ending in /v1
	APIKeyEnv string   `yaml:"api_key_env"` // openai: env var holding the bearer token
	Models    []string `yaml:"models"`      // pinned model names (local: the served id)
	Tier      Tier     `yaml:"tier"`        // TierNone: serves any tier
	Path      string   `yaml:"path"`        // local: the GGUF file
	// Timeout (openai) bounds an answer, or the wait for each stream
	// event; 0 means 60 s.
	Timeout time.Duration `yaml:"timeout"`
	// Local engine settings: concurrent sequences, KV positions per
	// sequence (capped at the model's context), matmul backend (cpu,
	// opencl, auto) and CPU threads (0: all cores).
	Slots   int    `yaml:"slots"`
	Context int    `yaml:"context"`
	Compute string `yaml:"compute"`
	Threads int    `yaml:"threads"`
}

// AuthConfig enables bearer-token auth on the API when any token is set.
type AuthConfig struct {
	Tokens   []string `yaml:"tokens"`
	TokenEnv string   `yaml:"token_env"` // env var holding one more token
	// RequireEnvelope refuses POST requests that do not come in a signed
	// PCI envelope (header Bizra-Envelope: v1; see Deps.OpenEnvelope).
	RequireEnvelope bool `yaml:"require_envelope"`
}

// Limits bound requests.
type Limits struct {
	// MaxPromptBytes bounds a request's prompt (all message contents).
	MaxPromptBytes int `yaml:"max_prompt_bytes"`
	// DefaultMaxTokens is max_tokens for requests that do not set it.
	DefaultMaxTokens int `yaml:"default_max_tokens"`
	// MaxBatch bounds the requests in one /v1/batch call.
	MaxBatch int `yaml:"max_batch"`
	// BatchConcurrency is how many requests of a batch run at once.
	BatchConcurrency int `yaml:"batch_concurrency"`
	// RequestTimeout bounds a whole request, fallbacks included.
	RequestTimeout time.Duration `yaml:"request_timeout"`
}

// DefaultConfig has no backends, the seed's budget, a 256 KiB prompt
// limit and no auth.
func DefaultConfig() Config {
	return Config{
		OwnedBy: "bizra",
		Budget:  DefaultBudgetConfig(),
		Limits: Limits{MaxPromptBytes: 256 << 10, DefaultMaxTokens: 256, MaxBatch: 64, BatchConcurrency: 4,
			RequestTimeout: 5 * time.Minute},
		Breaker:  DefaultBreakerConfig(),
		Selector: DefaultSelectorConfig(),
		SealTTL:  5 * time.Minute,
	}
}

// LocalBackendConfig is the backend `bizra node --model FILE` adds: the
// file served locally as "local" at tier NANO, under its base name.
func LocalBackendConfig(path string) BackendConfig {
	return BackendConfig{Name: "local", Kind: KindLocal, Path: path, Tier: Nano}
}

// ParseConfig reads YAML over DefaultConfig; unknown fields are errors.
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return cfg, cfg.Validate()
}

// Validate checks the fields; the error names the offending one.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for i, b := range c.Backends {
		f := fmt.Sprintf("backends[%d]", i)
		if b.Name == "" {
			return fmt.Errorf("%w: %s.name is empty", ErrBadConfig, f)
		}
		f = fmt.Sprintf("backends[%d] (%s)", i, b.Name)
		if seen[b.Name] {
			return fmt.Errorf("%w: %s.name is not unique", ErrBadConfig, f)
		}
		seen[b.Name] = true
		if b.Tier != TierNone && !b.Tier.Valid() {
			return fmt.Errorf("%w: %s.tier %d", ErrBadConfig, f, int(b.Tier))
		}
		for j, m := range b.Models {
			if m == "" {
				return fmt.Errorf("%w: %s.models[%d] is empty", ErrBadConfig, f, j)
			}
		}
		if b.Timeout < 0 {
			return fmt.Errorf("%w: %s.timeout %v is negative", ErrBadConfig, f, b.Timeout)
		}
		switch b.Kind {
		case KindOpenAI:
			u, err := url.Parse(b.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%w: %s.url %q must be an http(s) URL such as http://127.0.0.1:8080/v1", ErrBadConfig, f, b.URL)
			}
			if b.Path != "" {
				return fmt.Errorf("%w: %s.path is for kind local", ErrBadConfig, f)
			}
		case KindLocal:
			if b.Path == "" {
				return fmt.Errorf("%w: %s.path is empty (kind local needs a GGUF file)", ErrBadConfig, f)
			}
			if b.URL != "" {
				return fmt.Errorf("%w: %s.url is for kind openai", ErrBadConfig, f)
			}
			if len(b.Models) > 1 {
				return fmt.Errorf("%w: %s.models lists %d names; a local backend serves one", ErrBadConfig, f, len(b.Models))
			}
			if b.Slots < 0 || b.Context < 0 || b.Threads < 0 {
				return fmt.Errorf("%w: %s.slots, context and threads must not be negative", ErrBadConfig, f)
			}
		default:
			return fmt.Errorf("%w: %s.kind %q (want openai or local)", ErrBadConfig, f, b.Kind)
		}
	}
	if err := c.Budget.Validate(); err != nil {
		return err
	}
	if err := c.Breaker.Validate(); err != nil {
		return err
	}
	l := c.Limits
	switch {
	case l.MaxPromptBytes <= 0:
		return fmt.Errorf("%w: limits.max_prompt_bytes %d must be positive", ErrBadConfig, l.MaxPromptBytes)
	case l.DefaultMaxTokens <= 0 || l.DefaultMaxTokens > Nano.Tokens():
		return fmt.Errorf("%w: limits.default_max_tokens %d must be in [1, %d]", ErrBadConfig, l.DefaultMaxTokens, Nano.Tokens())
	case l.MaxBatch <= 0:
		return fmt.Errorf("%w: limits.max_batch %d must be positive", ErrBadConfig, l.MaxBatch)
	case l.BatchConcurrency <= 0:
		return fmt.Errorf("%w: limits.batch_concurrency %d must be positive", ErrBadConfig, l.BatchConcurrency)
	case l.RequestTimeout <= 0:
		return fmt.Errorf("%w: limits.request_timeout %v must be positive", ErrBadConfig, l.RequestTimeout)
	}
	for i, t := range c.Auth.Tokens {
		if t == "" {
			return fmt.Errorf("%w: auth.tokens[%d] is empty", ErrBadConfig, i)
		}
	}
	if c.SealTTL < time.Second || c.SealTTL%time.Second != 0 {
		return fmt.Errorf("%w: seal_ttl %v must be a whole number of seconds, at least 1s", ErrBadConfig, c.SealTTL)
	}
	return nil
}

// localConfig turns a local BackendConfig into a LocalConfig.
func (b BackendConfig) localConfig() LocalConfig {
	lc := LocalConfig{Name: b.Name, Path: b.Path, Compute: b.Compute, Threads: b.Threads, Pool: pool.DefaultConfig()}
	if len(b.Models) == 1 {
		lc.Model = b.Models[0]
	}
	if b.Slots > 0 {
		lc.Pool.Slots = b.Slots
	}
	if b.Context > 0 {
		lc.Pool.SlotContext = b.Context
	}
	return lc
}
