package runtime

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/agent"
	"github.com/bizra/bizra/actors/gate"
	"github.com/bizra/bizra/actors/inference"
	"github.com/bizra/bizra/actors/ingress"
	"github.com/bizra/bizra/actors/market"
	"github.com/bizra/bizra/actors/ntu"
	"github.com/bizra/bizra/actors/peer"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/actors/session/durable"
	"github.com/bizra/bizra/actors/shell"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/store"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/protobuf/proto"
)

// Version is the node's version, set at build time with
// -ldflags "-X github.com/bizra/bizra/runtime.Version=...".
var Version = "0.1.0-dev"

// Node is a running BIZRA node.
type Node struct {
	cfg     Config
	log     *slog.Logger
	ns      *server.Server
	nc      *nats.Conn
	natsURL string
	system  *actor.ActorSystem
	root    *actor.PID
	routes  *router.Routes
	disp    *router.Dispatcher
	reg     *prometheus.Registry
	metrics *router.Metrics
	natsIn  *ingress.NATS
	httpIn  *ingress.HTTP

	decisions *gate.Log
	key       ed25519.PrivateKey
	db        *store.Store
	commits   *store.Committer
	heads     *store.Heads
	dag       durable.NodeStore
	dagStore  *store.DAGStore
	// keyVerifier admits gossip-key requests signed by the node's own key.
	keyVerifier *pci.Verifier
	cluster     *clusterPart
	vault       *store.Vault // nil with vault.enabled false
	market      *market.Market
	gateway     *inference.Gateway
	marketSub   *market.NATSSubscription
	headLog     *durable.HeadLog
	sessions    *durable.Stage // nil with records off
	cpoints     *durable.Checkpointer

	stopOnce sync.Once
	drained  bool
}

// Info is what a running node writes to DataDir/node.json.
type Info struct {
	NodeID    string    `json:"node_id"`
	HTTP      string    `json:"http"`
	NATSURL   string    `json:"nats_url"`
	Key       string    `json:"key"`
	Gossip    string    `json:"gossip,omitempty"`
	Remote    string    `json:"remote,omitempty"`
	PID       int       `json:"pid"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
}

// Options extend a node beyond its configuration.
type Options struct {
	// Kinds adds agent kinds to the built-in ones.
	Kinds agent.Kinds
}

// Start validates cfg, assembles the node and starts serving. On error
// everything started so far is stopped again.
func Start(cfg Config, log *slog.Logger, opts ...Options) (n *Node, err error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: data_dir: %w", ErrInvalidConfig, err)
	}
	if cfg.NodeID == "" {
		id, err := loadNodeID(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cfg.NodeID = id
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := gate.New(gate.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("%w: gate: %w", ErrInvalidConfig, err)
	}
	decisions, err := gate.OpenLog(gate.LogConfig{Path: filepath.Join(cfg.DataDir, "logs", "fate_gate.jsonl"), MaxBytes: 10 << 20, MaxFiles: 5})
	if err != nil {
		return nil, fmt.Errorf("%w: decision log: %w", ErrInvalidConfig, err)
	}
	key, err := pci.LoadOrCreateKey(filepath.Join(cfg.DataDir, "keys", "node.key"))
	if err != nil {
		_ = decisions.Close()
		return nil, fmt.Errorf("%w: node key: %w", ErrInvalidConfig, err)
	}
	if cfg.Market.GenesisHolder == "" {
		cfg.Market.GenesisHolder = pci.PublicKeyID(key.Public().(ed25519.PublicKey))
	}
	if err := cfg.Market.Validate(); err != nil {
		_ = decisions.Close()
		return nil, fmt.Errorf("%w: market: %w", ErrInvalidConfig, err)
	}
	vcfg := pci.DefaultConfig()
	if len(cfg.Trust.Allow) > 0 {
		keys := make([]ed25519.PublicKey, 0, len(cfg.Trust.Allow))
		for _, id := range cfg.Trust.Allow {
			k, _ := pci.ParsePublicKeyID(id) // checked by Validate
			keys = append(keys, k)
		}
		vcfg.Trust = pci.Allowlist(keys...)
	}
	verifier, err := pci.NewVerifier(vcfg)
	if err != nil {
		_ = decisions.Close()
		return nil, fmt.Errorf("%w: trust: %w", ErrInvalidConfig, err)
	}
	kinds := agent.BuiltinKinds()
	kinds["shell"] = shell.Factory(g, decisions, filepath.Join(cfg.DataDir, "sandbox"))
	for _, o := range opts {
		for k, f := range o.Kinds {
			kinds[k] = f
		}
	}
	reg := prometheus.NewRegistry()
	var gw *inference.Gateway
	if len(cfg.Inference.Backends) > 0 {
		gov, err := inference.NewGovernor(inference.GovernorConfig{Gate: g, Key: key, TTL: cfg.Trust.ResultTTL, SessionProofs: true})
		if err != nil {
			_ = decisions.Close()
			return nil, fmt.Errorf("%w: inference: %w", ErrInvalidConfig, err)
		}
		icfg := vcfg // the node's trust policy; a JSON request is too short for the SNR measure
		icfg.MeasureSNR = false
		iverifier, err := pci.NewVerifier(icfg)
		if err != nil {
			_ = decisions.Close()
			return nil, fmt.Errorf("%w: trust: %w", ErrInvalidConfig, err)
		}
		openEnvelope := func(data []byte) ([]byte, string, error) {
			env, err := iverifier.Open(data, time.Now())
			if err != nil {
				return nil, "", err
			}
			if env.GetPayloadType() != inference.PayloadRequest {
				return nil, "", fmt.Errorf("payload type %q, want %s", env.GetPayloadType(), inference.PayloadRequest)
			}
			return env.GetPayload(), pci.PublicKeyID(env.GetSignerPublicKey()), nil
		}
		if gw, err = inference.NewGateway(cfg.Inference, inference.Deps{Registerer: reg, Governor: gov, OpenEnvelope: openEnvelope,
			Logger: log.With("component", "inference")}); err != nil {
			_ = decisions.Close()
			return nil, fmt.Errorf("%w: inference: %w", ErrInvalidConfig, err)
		}
		kinds["llm"] = inference.LLMKind(gw)
	}
	prepared := make([]agent.Prepared, 0, len(cfg.Agents))
	for i, a := range cfg.Agents {
		spec := agent.Spec{Name: a.Name, Kind: a.Kind, Capabilities: a.Capabilities, Mailbox: a.Mailbox, Options: a.Options}
		h, err := kinds.Build(spec)
		if err != nil {
			_ = decisions.Close()
			field := "options"
			if errors.Is(err, agent.ErrUnknownKind) {
				field = "kind"
			}
			return nil, fmt.Errorf("%w: agents[%d].%s: %w", ErrInvalidConfig, i, field, err)
		}
		prepared = append(prepared, agent.Prepared{Spec: spec, Handler: h})
	}
	kcfg := pci.DefaultConfig()
	kcfg.Trust = pci.Allowlist(key.Public().(ed25519.PublicKey))
	kcfg.MeasureSNR = false
	keyVerifier, err := pci.NewVerifier(kcfg)
	if err != nil {
		_ = decisions.Close()
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	log = log.With("node", cfg.NodeID)
	n = &Node{cfg: cfg, log: log, routes: router.NewRoutes(), reg: reg, decisions: decisions, key: key, keyVerifier: keyVerifier}
	defer func() {
		if err != nil {
			n.shutdown()
		}
	}()

	if n.db, err = store.Open(filepath.Join(cfg.DataDir, "db"), store.DefaultConfig()); err != nil {
		return n, fmt.Errorf("%w: store: %w", ErrStart, err)
	}
	if err = n.openVault(); err != nil {
		return n, err
	}
	if n.commits, err = n.db.NewCommitter(); err != nil {
		return n, fmt.Errorf("%w: store: %w", ErrStart, err)
	}
	if n.heads, err = store.NewHeads(n.db, n.commits); err != nil {
		return n, fmt.Errorf("%w: store: %w", ErrStart, err)
	}
	if n.dagStore, err = store.NewDAGStore(n.db, n.commits); err != nil {
		return n, fmt.Errorf("%w: store: %w", ErrStart, err)
	}
	n.dag = durable.New(n.dagStore)
	if n.headLog, err = durable.OpenHeadLog(n.db, n.commits, key, cfg.NodeID); err != nil {
		return n, fmt.Errorf("%w: session-head log: %w", ErrStart, err)
	}
	n.cpoints = durable.StartCheckpointer(n.headLog, cfg.CheckpointInterval, log.With("component", "session"))
	n.ns, n.nc, n.natsURL, err = startNATS(cfg.NATS, cfg.Limits.MaxPayload, cfg.NodeID)
	if err != nil {
		return n, err
	}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.metrics = router.NewMetrics(n.reg, n.routes)

	n.system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return log.With("component", "actor")
	}))
	if cfg.Cluster.Enabled() {
		pc, provider, err := startProtoCluster(n.system, cfg.Cluster, n.liveConfig())
		if err != nil {
			return n, err
		}
		n.cluster = &clusterPart{pc: pc, provider: provider, forwarder: &peer.Forwarder{NodeID: cfg.NodeID, System: n.system,
			Trust: trustKey(cfg.Trust.Allow), Logger: log.With("component", "peer")}}
	}
	if gw != nil {
		gw.UseSystem(n.system)
		if err = gw.Start(context.Background()); err != nil {
			return n, fmt.Errorf("%w: inference: %w", ErrStart, err)
		}
		n.gateway = gw
	}
	routerPID := actor.NewPID(n.system.Address(), rootName+"/router")
	agentsPID := actor.NewPID(n.system.Address(), rootName+"/agents")
	rootProps := actor.PropsFromProducer(func() actor.Actor {
		return &rootActor{
			sessions: n.sessionProps(),
			ntu: ntu.Monitors(ntu.MonitorsConfig{NodeID: cfg.NodeID, Config: ntu.DefaultConfig(),
				Logger: log.With("component", "ntu"), Publish: n.publishAnomaly}),
			router: router.NewActor(router.ActorConfig{
				NodeID: cfg.NodeID, Agents: agentsPID, Routes: n.routes,
				Heartbeat: cfg.External.Heartbeat, Misses: cfg.External.Misses,
				Capacity: int32(cfg.External.Mailbox), Logger: log.With("component", "router"),
			}),
			agents: agent.Supervisor(agent.SupervisorConfig{
				NodeID: cfg.NodeID, Agents: prepared, Router: routerPID, NATS: n.nc,
				Backoff: cfg.Supervision, Timeout: cfg.Limits.TaskTimeout,
				Logger: log.With("component", "agents"),
				OnRestart: func(name string, _ int, _ time.Duration, _ any) {
					n.metrics.Restarts.WithLabelValues(name).Inc()
				},
			}),
		}
	}, actor.WithSupervisor(actor.NewOneForOneStrategy(10, time.Minute, actor.DefaultDecider)))
	if n.root, err = n.system.Root.SpawnNamed(rootProps, rootName); err != nil {
		return n, fmt.Errorf("%w: root supervisor: %w", ErrStart, err)
	}
	if _, err = n.system.Root.RequestFuture(n.root, &agent.Ready{}, 10*time.Second).Result(); err != nil {
		return n, fmt.Errorf("%w: agents did not start: %w", ErrStart, err)
	}

	mcfg := cfg.Market
	mcfg.Logger = log // the market names itself (component=market)
	if n.market, err = market.Open(n.db, key, mcfg, n.system); err != nil {
		return n, fmt.Errorf("%w: market: %w", ErrStart, err)
	}
	if err = n.market.RegisterMetrics(n.reg); err != nil {
		return n, fmt.Errorf("%w: market metrics: %w", ErrStart, err)
	}
	dcfg := router.DispatcherConfig{
		NodeID: cfg.NodeID, System: n.system, Routes: n.routes,
		MaxPayload: cfg.Limits.MaxPayload, DefaultTimeout: cfg.Limits.TaskTimeout, Metrics: n.metrics,
		// The pipeline of seed §3.1, in order.
		Stages: n.stages(g, decisions),
	}
	if n.cluster != nil {
		dcfg.Remote = n.cluster.forwarder
	}
	n.disp = router.NewDispatcher(dcfg)
	icfg := ingress.Config{
		NodeID: cfg.NodeID, MaxPayload: cfg.Limits.MaxPayload, MaxConcurrent: cfg.Limits.MaxConcurrent,
		Dispatcher: n.disp, Routes: n.routes, System: n.system, Router: routerPID,
		ShowSession:  n.showSession,
		CloseSession: n.closeSession,
		Governance: &ingress.Governance{Verifier: verifier, Key: key, Gate: g,
			ResultTTL: cfg.Trust.ResultTTL, RequireEnvelope: cfg.Trust.RequireEnvelope},
		Logger: log.With("component", "ingress"),
	}
	n.natsIn = ingress.NewNATS(icfg, n.nc)
	if err = n.natsIn.Start(); err != nil {
		return n, err
	}
	if n.marketSub, err = n.market.SubscribeNATS(n.nc); err != nil {
		return n, fmt.Errorf("%w: %w", ErrStart, err)
	}
	n.httpIn = ingress.NewHTTP(icfg, n.reg)
	durable.Mount(n.httpIn.Handle, n.headLog, n.PublicKey(), n.showSession)
	n.httpIn.Handle("GET /v1/members", http.HandlerFunc(n.serveMembers))
	n.httpIn.Handle("GET /v1/cluster/keys", http.HandlerFunc(n.serveGossipKeys))
	n.httpIn.Handle("POST /v1/cluster/keys", http.HandlerFunc(n.serveGossipKeys))
	n.httpIn.Handle(market.HTTPPrefix, n.market.Handler())
	if n.gateway != nil {
		n.gateway.Register(n.httpIn.Handle)
	}
	if err = n.httpIn.Start(cfg.HTTP); err != nil {
		return n, err
	}
	if _, err = n.system.Root.RequestFuture(n.root, &spawnChild{name: "ingress", actor: &ingress.Actor{NATS: n.natsIn, HTTP: n.httpIn, Grace: 5 * time.Second}}, 5*time.Second).Result(); err != nil {
		return n, fmt.Errorf("%w: ingress: %w", ErrStart, err)
	}
	if n.cluster != nil {
		if _, err = n.system.Root.RequestFuture(n.root, &spawnChild{name: peer.ActorName, actor: &peer.Server{NodeID: cfg.NodeID,
			Dispatcher: n.disp, Governance: icfg.Governance, Logger: log.With("component", "peer"),
			ShowLocal: func(id string) *messages.SessionRecords { return n.records().ShowMessage(id, cfg.NodeID) }}}, 5*time.Second).Result(); err != nil {
			return n, fmt.Errorf("%w: peer: %w", ErrStart, err)
		}
		if err = n.startMembership(); err != nil {
			return n, err
		}
	}
	if err = n.writeInfo(); err != nil {
		return n, err
	}
	log.Info("node ready", "http", n.HTTPAddr(), "nats", n.natsURL, "embedded_nats", n.ns != nil,
		"key", pci.PublicKeyID(n.PublicKey()), "require_envelope", cfg.Trust.RequireEnvelope,
		"agents", len(prepared), "version", Version)
	return n, nil
}

// PublicKey is the node's identity key; its results are signed with it.
func (n *Node) PublicKey() ed25519.PublicKey { return n.key.Public().(ed25519.PublicKey) }

// NodeID is the node's id.
func (n *Node) NodeID() string { return n.cfg.NodeID }

// HTTPAddr is the address the HTTP API listens on.
func (n *Node) HTTPAddr() string { return n.httpIn.Addr() }

// NATSURL is the URL clients use to reach the node over NATS.
func (n *Node) NATSURL() string { return n.natsURL }

// Dispatcher routes TaskCards into the node (for in-process callers).
func (n *Node) Dispatcher() *router.Dispatcher { return n.disp }

// Routes is the node's routing table.
func (n *Node) Routes() *router.Routes { return n.routes }

// System is the node's actor system.
func (n *Node) System() *actor.ActorSystem { return n.system }

// Gateway is the node's inference gateway (nil without backends).
func (n *Node) Gateway() *inference.Gateway { return n.gateway }

// Market is the node's compute market.
func (n *Node) Market() *market.Market { return n.market }

// Registry holds the node's metrics.
func (n *Node) Registry() *prometheus.Registry { return n.reg }

// Stop drains tasks in flight for at most DrainTimeout (new tasks are
// REJECTED with E_NODE_DRAINING meanwhile), then stops ingress, the actor
// tree and NATS. It reports whether every task in flight finished. Safe to
// call twice.
func (n *Node) Stop() bool {
	n.stopOnce.Do(func() {
		n.drained = true
		if n.cluster != nil {
			// Others see this node leave (not fail) and send it no more work.
			n.cluster.leave()
		}
		if n.disp != nil {
			n.log.Info("draining", "timeout", n.cfg.DrainTimeout)
			n.drained = n.disp.Drain(n.cfg.DrainTimeout)
			if !n.drained {
				n.log.Warn("drain timed out; tasks still in flight are abandoned")
			}
		}
		n.shutdown()
		n.log.Info("node stopped", "drained", n.drained)
	})
	return n.drained
}

func (n *Node) shutdown() {
	if n.natsIn != nil {
		n.natsIn.Stop()
	}
	if n.httpIn != nil {
		n.httpIn.Stop(5 * time.Second)
	}
	if n.marketSub != nil {
		_ = n.marketSub.Stop()
	}
	if n.market != nil {
		n.market.Stop()
	}
	if n.gateway != nil {
		n.gateway.Stop()
	}
	if m := n.Membership(); m != nil {
		m.Stop() // after leave, or without it on a failed start
	}
	if n.system != nil {
		if n.root != nil {
			_ = n.system.Root.StopFuture(n.root).Wait()
		}
		if n.cluster != nil && n.cluster.pc != nil {
			n.cluster.pc.Shutdown(false) // its actor system (this node's) and remote endpoint
		} else {
			n.system.Shutdown()
		}
	}
	if n.nc != nil {
		n.nc.Close()
	}
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
	}
	if n.decisions != nil {
		_ = n.decisions.Close()
	}
	if n.cpoints != nil {
		n.cpoints.Stop()
	}
	if n.commits != nil {
		n.commits.Stop()
	}
	if n.db != nil {
		_ = n.db.Close()
	}
	if n.vault != nil {
		_ = n.vault.Close()
	}
	_ = os.Remove(filepath.Join(n.cfg.DataDir, "node.json"))
}

// showSession answers `bizra session show`: this node's records of the
// session and, in a cluster, those every live member keeps.
func (n *Node) showSession(id string) *messages.SessionRecords {
	recs := n.records().ShowMessage(id, n.cfg.NodeID)
	if m := n.Membership(); m != nil {
		recs.Members = peer.ShowAcross(n.system, m.Members(), id, 2*time.Second)
	}
	return recs
}

// sessionProps is the session supervisor's (nil with records off).
func (n *Node) sessionProps() *actor.Props {
	if !n.cfg.Records || n.cluster != nil { // a cluster member's sessions are grains
		return nil
	}
	return durable.Sessions(n.liveConfig())
}

func (n *Node) liveConfig() durable.LiveConfig {
	c := durable.LiveConfig{NodeID: n.cfg.NodeID, Nodes: n.dagStore, Heads: n.heads, Commit: n.commits,
		Idle: n.cfg.SessionIdle, Logger: n.log.With("component", "session")}
	if n.cfg.Cluster.Enabled() {
		c.Fetch = n.fetchSessionDAG
	}
	return c
}

// fetchSessionDAG finds a session's DAG on the other live members (for a
// grain that moved here): the longest verifying one, or nil.
func (n *Node) fetchSessionDAG(id string) (*session.Proof, error) {
	m := n.Membership()
	if m == nil {
		return nil, nil
	}
	var best *session.Proof
	for _, recs := range peer.ShowAcross(n.system, m.Members(), id, 2*time.Second) {
		for _, r := range recs.GetRecords() {
			if r.GetSessionId() != durable.SessionDAGID(id) {
				continue
			}
			p, err := session.ProofFromProto(r)
			if err == nil && session.VerifyProof(p) == nil && (best == nil || len(p.Nodes) > len(best.Nodes)) {
				best = p
			}
		}
	}
	return best, nil
}

func (n *Node) sessionsPID() *actor.PID {
	return actor.NewPID(n.system.Address(), rootName+"/sessions")
}

// closeSession commits a session's DAG (bizra session close).
func (n *Node) closeSession(id string) *messages.SessionHead {
	if !n.cfg.Records {
		return &messages.SessionHead{SessionId: id, Error: "this node keeps no records (records: false)"}
	}
	var (
		v   any
		err error
	)
	if n.cluster != nil {
		v, err = n.cluster.pc.Request(id, durable.SessionKind, &messages.SessionClose{SessionId: id})
	} else {
		v, err = n.system.Root.RequestFuture(n.sessionsPID(), &messages.SessionClose{SessionId: id}, 10*time.Second).Result()
	}
	if h, ok := v.(*messages.SessionHead); err == nil && ok {
		return h
	}
	return &messages.SessionHead{SessionId: id, Error: fmt.Sprintf("session actor did not answer: %v", err)}
}

// openVault turns on encryption at rest (VaultConfig).
func (n *Node) openVault() error {
	c := n.cfg.Vault
	if !c.Enabled {
		return nil
	}
	vc := store.DefaultVaultConfig()
	vc.Prefixes = c.Prefixes
	switch {
	case c.PassphraseEnv != "":
		pass := os.Getenv(c.PassphraseEnv)
		if pass == "" {
			return fmt.Errorf("%w: vault.passphrase_env: $%s is empty", ErrInvalidConfig, c.PassphraseEnv)
		}
		vc.Passphrase = []byte(pass)
	case c.KeyFile != "":
		vc.KeyFile = c.KeyFile
	default:
		vc.KeyFile = filepath.Join(n.cfg.DataDir, "keys", "vault.key")
	}
	exists, err := n.db.HasVault()
	if err != nil {
		return fmt.Errorf("%w: vault: %w", ErrStart, err)
	}
	if !exists {
		clear, err := n.db.HasValuesUnder(c.Prefixes)
		if err != nil {
			return fmt.Errorf("%w: vault: %w", ErrStart, err)
		}
		if clear {
			return fmt.Errorf("%w: vault: %s holds unencrypted data under %v; start it with vault.enabled: false, or use a new data dir",
				ErrInvalidConfig, n.cfg.DataDir, c.Prefixes)
		}
	}
	if n.vault, err = store.OpenVault(n.db, vc); err != nil {
		return fmt.Errorf("%w: vault: %w", ErrStart, err)
	}
	return n.db.EncryptAtRest(n.vault)
}

// records reads the node's task records.
func (n *Node) records() durable.Reader {
	return durable.Reader{DB: n.db, Heads: n.heads, Nodes: n.dag, Log: n.headLog, NodeKey: pci.PublicKeyID(n.PublicKey())}
}

// stages is the request pipeline of seed §3.1, in order.
func (n *Node) stages(g *gate.Gate, decisions *gate.Log) []router.Stage {
	st := []router.Stage{&gate.TaskStage{Gate: g, Log: decisions}, n.market.Stage()}
	if n.cfg.Records {
		n.sessions = &durable.Stage{NodeID: n.cfg.NodeID, Committer: n.commits, Heads: n.heads, Log: n.headLog,
			Logger: n.log.With("component", "session")}
		if n.cluster != nil {
			n.sessions.Link, n.sessions.Committed = n.cluster.sessions()
		} else {
			n.sessions.Link, n.sessions.Committed = durable.LocalSessions(n.system, n.sessionsPID(), n.heads)
		}
		st = append(st, n.sessions)
	}
	return append(st, &ntu.Stage{System: n.system, Monitors: actor.NewPID(n.system.Address(), rootName+"/ntu"), Target: time.Second})
}

// SubjectNTUAnomaly carries every NTU anomaly the node's monitors raise.
const SubjectNTUAnomaly = "bizra.ntu.anomaly"

func (n *Node) publishAnomaly(a *messages.NtuAnomaly) {
	n.metrics.Anomalies.WithLabelValues(a.GetAgent()).Inc()
	if n.sessions != nil && a.GetTaskId() != "" {
		if err := n.sessions.RecordAnomaly(a, time.Now()); err != nil {
			n.log.Warn("anomaly not recorded", "task", a.GetTaskId(), "error", err)
		}
	}
	data, err := proto.Marshal(a)
	if err == nil {
		err = n.nc.Publish(SubjectNTUAnomaly, data)
	}
	if err != nil {
		n.log.Warn("anomaly not published", "error", err)
	}
}

func (n *Node) writeInfo() error {
	info := Info{NodeID: n.cfg.NodeID, HTTP: n.HTTPAddr(), NATSURL: n.natsURL, Key: pci.PublicKeyID(n.PublicKey()), PID: os.Getpid(),
		Version: Version, StartedAt: time.Now().UTC()}
	if m := n.Membership(); m != nil {
		info.Gossip, info.Remote = m.Addr(), n.system.Address()
	}
	data, _ := json.MarshalIndent(info, "", "  ")
	return writeFileAtomic(filepath.Join(n.cfg.DataDir, "node.json"), append(data, '\n'), 0o600)
}

// ReadInfo reads the node.json a running node wrote in dataDir.
func ReadInfo(dataDir string) (Info, error) {
	var info Info
	data, err := os.ReadFile(filepath.Join(dataDir, "node.json"))
	if err != nil {
		return info, err
	}
	return info, json.Unmarshal(data, &info)
}

// loadNodeID reads DataDir/node_id, creating it on first start.
func loadNodeID(dir string) (string, error) {
	p := filepath.Join(dir, "node_id")
	data, err := os.ReadFile(p)
	if err == nil {
		id := strings.TrimSpace(string(data))
		if router.ValidName(id) {
			return id, nil
		}
		return "", fmt.Errorf("%w: %s holds an invalid node id %q", ErrInvalidConfig, p, id)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := "node-" + hex.EncodeToString(b[:])
	if err := writeFileAtomic(p, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return id, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
