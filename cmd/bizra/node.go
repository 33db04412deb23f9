package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/bizra/bizra/actors/inference"
	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/runtime"
	"github.com/spf13/cobra"
)

func newNodeCmd() *cobra.Command {
	var (
		dataDir, configPath, nodeID, httpAddr, natsURL, logLevel string
		gossip, remoteAddr, modelPath                            string
		join                                                     []string
		natsPort                                                 int
	)
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a node (embedded NATS by default) until SIGINT or SIGTERM",
		Long: `Run a node. Without --config the node has one echo agent (capability "echo").
It serves NATS on 127.0.0.1:4222 (embedded server) and HTTP on 127.0.0.1:8420 unless told
otherwise, logs JSON lines to stderr, and on SIGINT/SIGTERM drains tasks in flight
(drain_timeout, default 10s) and exits 0. Port 0 picks a free port; the ports in use are
written to DATA_DIR/node.json.

Inference: --model FILE.gguf serves a local model through the inference gateway
(OpenAI-compatible /v1/chat/completions, /v1/completions, /v1/models; /v1/inference,
/v1/batch, /v1/budget) and adds the agent llm-1 (capabilities chat, summarize,
complete). More backends (Ollama, LM Studio, vLLM, llama-server, another node) go in
the config file under inference.backends.

Cluster: --gossip HOST:PORT makes the node a cluster member (memberlist gossip on that
address), --remote HOST:PORT is where other members send it TaskCards (default: the gossip
host, a free port), --join HOST:PORT[,HOST:PORT] joins existing members. A TaskCard whose
capability no local agent serves goes to an ACTIVE member that serves it. SIGTERM leaves
the cluster gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := runtime.DefaultConfig()
			if configPath != "" {
				var err error
				if cfg, err = runtime.LoadConfig(configPath); err != nil {
					return usage("%v", err)
				}
			}
			f := cmd.Flags()
			if f.Changed("data-dir") || cfg.DataDir == "" {
				cfg.DataDir = dataDir
			}
			if f.Changed("node-id") {
				cfg.NodeID = nodeID
			}
			if f.Changed("http") {
				cfg.HTTP = httpAddr
			}
			if f.Changed("nats-port") && f.Changed("nats-url") {
				return usage("--nats-port and --nats-url exclude each other")
			}
			if f.Changed("nats-port") {
				cfg.NATS.Port, cfg.NATS.URL = natsPort, ""
			}
			if f.Changed("nats-url") {
				cfg.NATS.URL = natsURL
			}
			if f.Changed("gossip") {
				cfg.Cluster.Gossip = gossip
			}
			if f.Changed("remote") {
				cfg.Cluster.Remote = remoteAddr
			}
			if f.Changed("join") {
				cfg.Cluster.Join = join
			}
			if modelPath != "" {
				cfg.Inference.Backends = append(cfg.Inference.Backends, inference.LocalBackendConfig(modelPath))
				hasLLM := false
				for _, a := range cfg.Agents {
					hasLLM = hasLLM || a.Kind == "llm"
				}
				if !hasLLM {
					cfg.Agents = append(cfg.Agents, runtime.AgentConfig{Name: "llm-1", Kind: "llm",
						Capabilities: []string{"chat", "summarize", "complete"}, Mailbox: runtime.DefaultMailbox})
				}
			}
			if (len(cfg.Cluster.Join) > 0 || cfg.Cluster.Remote != "") && cfg.Cluster.Gossip == "" {
				return usage("--join and --remote need --gossip HOST:PORT")
			}
			if cfg.Market.GenesisHolder == "" {
				// Out of the box the local client (the key `bizra task send`
				// signs with) holds the genesis credits and license.
				key, err := pci.LoadOrCreateKey(defaultKeyPath())
				if err != nil {
					return failure("client key for the market's genesis holder: %v", err)
				}
				cfg.Market.GenesisHolder = pci.PublicKeyID(key.Public().(ed25519.PublicKey))
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usage("--log-level: %v", err)
			}
			log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			n, err := runtime.Start(cfg, log)
			if errors.Is(err, runtime.ErrInvalidConfig) {
				return usage("%v", err)
			}
			if err != nil {
				return failure("%v", err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			log.Info("signal received; stopping")
			n.Stop()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", "bizra-data", "directory for the node's state")
	f.StringVar(&configPath, "config", "", "YAML config file (agents, limits, ...)")
	f.StringVar(&nodeID, "node-id", "", "node id (default: kept in DATA_DIR/node_id)")
	f.StringVar(&httpAddr, "http", runtime.DefaultHTTP, "HTTP API listen address (port 0: pick one)")
	f.IntVar(&natsPort, "nats-port", runtime.DefaultNATSPort, "port of the embedded NATS server (0: pick one)")
	f.StringVar(&natsURL, "nats-url", "", "use an existing NATS deployment instead of the embedded server")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&gossip, "gossip", "", "cluster gossip address HOST:PORT (empty: single node)")
	f.StringVar(&remoteAddr, "remote", "", "actor endpoint HOST:PORT for TaskCards from other members")
	f.StringSliceVar(&join, "join", nil, "members to join, HOST:PORT[,HOST:PORT]")
	f.StringVar(&modelPath, "model", "", "serve a local GGUF model (tier NANO) and add an llm agent (chat, summarize, complete)")
	return cmd
}
