package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/bizra/bizra/actors/agent"
	"github.com/bizra/bizra/actors/inference"
	"github.com/bizra/bizra/actors/market"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages/pci"
	"gopkg.in/yaml.v3"
)

// Config is a node's configuration. Every field has a default
// (DefaultConfig); a YAML file (LoadConfig) overrides what it names, and
// command-line flags override the file.
type Config struct {
	// NodeID names the node. Empty: read from DataDir/node_id, or generated
	// there on first start.
	NodeID string `yaml:"node_id"`
	// DataDir holds the node's state (node id, runtime info).
	DataDir string `yaml:"data_dir"`
	// HTTP is the listen address of the HTTP API ("host:port"; port 0
	// picks a free port, written to DataDir/node.json).
	HTTP string `yaml:"http"`
	// NATS chooses the embedded server or an existing deployment.
	NATS NATSConfig `yaml:"nats"`
	// Limits bound what one request may ask for.
	Limits Limits `yaml:"limits"`
	// DrainTimeout bounds how long a stopping node waits for tasks in flight.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// Agents lists the node's own agents.
	Agents []AgentConfig `yaml:"agents"`
	// External governs agents that join over NATS.
	External ExternalConfig `yaml:"external"`
	// Supervision governs restarts of crashed agents.
	Supervision agent.Backoff `yaml:"supervision"`
	// Trust governs signed PCI envelopes.
	Trust TrustConfig `yaml:"trust"`
	// Records writes every task's Merkle-DAG record durably (one synced,
	// group-committed batch per task) and attaches its proof to the result.
	// Default true; false trades the proof for latency.
	Records bool `yaml:"records"`
	// CheckpointInterval is how often the node signs a checkpoint of its
	// session-head log when the log grew (and once at shutdown). Default 2s.
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// SessionIdle is how long a session's actor stays without messages
	// before it passivates (its state is in the store and reloads on the
	// next message). Default 5m.
	SessionIdle time.Duration `yaml:"session_idle"`
	// Cluster makes the node a cluster member (empty gossip: single node).
	Cluster ClusterConfig `yaml:"cluster"`
	// Market is the compute market: ledger, licenses, and which
	// capabilities need a license (see DefaultMarketConfig).
	Market market.Config `yaml:"market"`
	// Vault encrypts the node's sovereign data at rest.
	Vault VaultConfig `yaml:"vault"`
	// Inference is the inference gateway: backends (OpenAI-compatible
	// servers, local GGUF files), budget tiers, selection. No backends: no
	// gateway, and no agents of kind llm.
	Inference inference.Config `yaml:"inference"`
}

// VaultConfig encrypts at rest what the node keeps about identities and
// decisions (seed §9.1, data exfiltration: "Vault encryption at rest"):
// XChaCha20-Poly1305 per value, bound to its key (store.Vault).
type VaultConfig struct {
	// Enabled turns encryption at rest on (default true). A data dir
	// created without it holds clear values and cannot be switched on.
	Enabled bool `yaml:"enabled"`
	// KeyFile holds the 256-bit key (default DATA_DIR/keys/vault.key,
	// created with mode 0600). A key next to its data protects nothing once
	// both leave the machine: point it at another disk, or use a passphrase.
	KeyFile string `yaml:"key_file"`
	// PassphraseEnv names an environment variable holding a passphrase,
	// stretched with Argon2id, used instead of the key file.
	PassphraseEnv string `yaml:"passphrase_env"`
	// Prefixes are the store prefixes encrypted: governance records,
	// session heads, the ledger and licenses by default. The Merkle-DAG
	// nodes and the session-head log hold only hashes that proofs publish,
	// and stay clear.
	Prefixes []string `yaml:"prefixes"`
}

// DefaultVaultConfig encrypts gov/, sess/, ledger/ and lic/ with a key file.
func DefaultVaultConfig() VaultConfig {
	return VaultConfig{Enabled: true, Prefixes: []string{"gov/", "sess/", "ledger/", "lic/"}}
}

// DefaultMarketConfig is the market of a single node: the default
// licenses, 7 %/year tax, Gini ≤ 0.35, and a license (kind inference)
// needed by the inference capabilities chat, summarize and complete;
// other capabilities (echo, shell, ...) run without one unless
// market.require or market.require_default says otherwise. The genesis
// holder (1,000 credits and license inference-0) is the local client key
// when the CLI starts the node, and the node's own key when
// market.genesis_holder is empty.
func DefaultMarketConfig() market.Config {
	m := market.DefaultConfig()
	m.RequireDefault = ""
	m.Require = map[string]market.Kind{"chat": market.KindInference, "summarize": market.KindInference, "complete": market.KindInference}
	return m
}

// TrustConfig is the node's trust policy for enveloped requests.
type TrustConfig struct {
	// RequireEnvelope rejects bare TaskCards on NATS (R005): every card
	// must arrive in a signed PCI envelope.
	RequireEnvelope bool `yaml:"require_envelope"`
	// Allow lists the signer keys ("ed25519:…") the node accepts; empty
	// accepts any valid signer and records its identity.
	Allow []string `yaml:"allow"`
	// ResultTTL is the lifetime of the node's signed results.
	ResultTTL time.Duration `yaml:"result_ttl"`
}

// NATSConfig chooses the NATS the node uses.
type NATSConfig struct {
	// URL of an existing NATS deployment. When set, no server is embedded.
	URL string `yaml:"url"`
	// Host the embedded server listens on.
	Host string `yaml:"host"`
	// Port the embedded server listens on; 0 picks a free port.
	Port int `yaml:"port"`
}

// Limits bound requests.
type Limits struct {
	// MaxPayload is the largest TaskCard input in bytes (default 1 MiB).
	MaxPayload int `yaml:"max_payload"`
	// TaskTimeout bounds a task that carries no deadline.
	TaskTimeout time.Duration `yaml:"task_timeout"`
	// MaxConcurrent bounds NATS requests handled at once.
	MaxConcurrent int `yaml:"max_concurrent"`
}

// AgentConfig declares one agent.
type AgentConfig struct {
	// Name is unique on the node ([A-Za-z0-9_-]).
	Name string `yaml:"name"`
	// Kind selects the implementation ("echo").
	Kind string `yaml:"kind"`
	// Capabilities the agent serves.
	Capabilities []string `yaml:"capabilities"`
	// Mailbox is the agent's mailbox bound (default 256): tasks beyond it
	// are REJECTED as overloaded.
	Mailbox int `yaml:"mailbox"`
	// Options are kind-specific.
	Options map[string]string `yaml:"options"`
}

// ExternalConfig governs external agents.
type ExternalConfig struct {
	// Heartbeat is the interval agents are asked to heartbeat at.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// Misses is how many intervals may pass silently before an agent is dropped.
	Misses int `yaml:"misses"`
	// Mailbox is an external agent's default bound (tasks in flight).
	Mailbox int `yaml:"mailbox"`
}

// Default values.
const (
	DefaultHTTP       = "127.0.0.1:8420"
	DefaultNATSPort   = 4222
	DefaultMaxPayload = 1 << 20
	DefaultMailbox    = 256
)

// DefaultConfig returns a node with one echo agent, an embedded NATS server
// on 127.0.0.1:4222 and the HTTP API on 127.0.0.1:8420.
func DefaultConfig() Config {
	return Config{
		DataDir: "bizra-data",
		HTTP:    DefaultHTTP,
		NATS:    NATSConfig{Host: "127.0.0.1", Port: DefaultNATSPort},
		Limits: Limits{
			MaxPayload:    DefaultMaxPayload,
			TaskTimeout:   30 * time.Second,
			MaxConcurrent: 4096,
		},
		DrainTimeout:       10 * time.Second,
		Agents:             []AgentConfig{{Name: "echo-1", Kind: "echo", Capabilities: []string{"echo"}, Mailbox: DefaultMailbox}},
		External:           ExternalConfig{Heartbeat: 5 * time.Second, Misses: 3, Mailbox: 64},
		Supervision:        agent.DefaultBackoff(),
		Trust:              TrustConfig{ResultTTL: 5 * time.Minute},
		Records:            true,
		CheckpointInterval: 2 * time.Second,
		SessionIdle:        5 * time.Minute,
		Cluster:            DefaultClusterConfig(),
		Market:             DefaultMarketConfig(),
		Inference:          inference.DefaultConfig(),
		Vault:              DefaultVaultConfig(),
	}
}

// LoadConfig reads a YAML file over DefaultConfig. Unknown keys are an
// error. A file that lists agents replaces the default echo agent.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg.Agents = nil
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("%w: %s: %v", ErrInvalidConfig, path, err)
	}
	for i := range cfg.Agents {
		if cfg.Agents[i].Mailbox == 0 {
			cfg.Agents[i].Mailbox = DefaultMailbox
		}
	}
	return cfg, nil
}

// Validate names the first invalid field.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	if c.NodeID != "" && !router.ValidName(c.NodeID) {
		return bad("node_id", "%q must be 1-128 characters from [A-Za-z0-9_-]", c.NodeID)
	}
	if c.DataDir == "" {
		return bad("data_dir", "must be set")
	}
	if _, _, err := net.SplitHostPort(c.HTTP); err != nil {
		return bad("http", "%q is not host:port: %v", c.HTTP, err)
	}
	if c.NATS.URL == "" {
		if c.NATS.Port < 0 || c.NATS.Port > 65535 {
			return bad("nats.port", "%d is not a port (0 picks a free one)", c.NATS.Port)
		}
		if c.NATS.Host == "" {
			return bad("nats.host", "must be set for the embedded server")
		}
	}
	if c.Limits.MaxPayload <= 0 || c.Limits.MaxPayload > 64<<20 {
		return bad("limits.max_payload", "%d must be in (0, 64 MiB]", c.Limits.MaxPayload)
	}
	if c.Limits.TaskTimeout <= 0 {
		return bad("limits.task_timeout", "must be > 0")
	}
	if c.Limits.MaxConcurrent <= 0 {
		return bad("limits.max_concurrent", "must be > 0")
	}
	if c.DrainTimeout <= 0 {
		return bad("drain_timeout", "must be > 0")
	}
	if c.CheckpointInterval <= 0 {
		return bad("checkpoint_interval", "must be > 0")
	}
	if c.SessionIdle <= 0 {
		return bad("session_idle", "must be > 0")
	}
	if err := c.Cluster.Validate(); err != nil {
		return err
	}
	if c.Market.GenesisHolder != "" { // else Start validates it once the node key is known
		if err := c.Market.Validate(); err != nil {
			return fmt.Errorf("%w: market: %w", ErrInvalidConfig, err)
		}
	}
	if c.External.Heartbeat <= 0 {
		return bad("external.heartbeat", "must be > 0")
	}
	if c.External.Misses < 1 {
		return bad("external.misses", "must be >= 1")
	}
	if c.External.Mailbox < 1 {
		return bad("external.mailbox", "must be >= 1")
	}
	if err := c.Supervision.Validate(); err != nil {
		return bad("supervision", "%v", err)
	}
	if c.Trust.ResultTTL <= 0 || c.Trust.ResultTTL > 10*time.Minute {
		return bad("trust.result_ttl", "%s must be in (0, 10m]", c.Trust.ResultTTL)
	}
	for i, id := range c.Trust.Allow {
		if _, err := pci.ParsePublicKeyID(id); err != nil {
			return bad(fmt.Sprintf("trust.allow[%d]", i), "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, a := range c.Agents {
		field := fmt.Sprintf("agents[%d]", i)
		if err := router.CheckAgent(a.Name, a.Capabilities); err != nil {
			return bad(field, "%v", err)
		}
		if seen[a.Name] {
			return bad(field+".name", "%q is used twice", a.Name)
		}
		seen[a.Name] = true
		if a.Kind == "" {
			return bad(field+".kind", "must be set")
		}
		if a.Mailbox < 1 || a.Mailbox > 1<<20 {
			return bad(field+".mailbox", "%d must be in [1, 1048576]", a.Mailbox)
		}
	}
	return nil
}
