package runtime

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/bizra/bizra/actors/peer"
	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/actors/session/durable"
	"github.com/bizra/bizra/cluster"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/prometheus/client_golang/prometheus"
)

// ClusterConfig makes the node a cluster member. Gossip empty: a single
// node.
type ClusterConfig struct {
	// Gossip is the memberlist address "host:port" (SWIM gossip, UDP and
	// TCP); port 0 picks one.
	Gossip string `yaml:"gossip"`
	// Remote is the actor endpoint "host:port" other members send
	// TaskCards to; default the gossip host with a free port.
	Remote string `yaml:"remote"`
	// Join lists members to join ("host:port" gossip addresses).
	Join []string `yaml:"join"`
	// Keys are gossip encryption keys (base64, 16/24/32 bytes), primary
	// first; empty leaves gossip unencrypted.
	Keys []string `yaml:"keys"`
	// Detector tunes heartbeats and the phi-accrual failure detector.
	Detector cluster.DetectorConfig `yaml:"detector"`
	// LAN selects memberlist's LAN timings (default true); false uses its
	// loopback timings.
	LAN bool `yaml:"lan"`
}

// DefaultClusterConfig is a single node (no gossip) with the seed's
// heartbeat interval.
func DefaultClusterConfig() ClusterConfig {
	return ClusterConfig{Detector: cluster.DefaultDetectorConfig(), LAN: true}
}

// Enabled reports whether the node joins a cluster.
func (c ClusterConfig) Enabled() bool { return c.Gossip != "" }

// Validate names the first invalid field.
func (c ClusterConfig) Validate() error {
	if !c.Enabled() {
		return nil
	}
	bad := func(field string, err error) error {
		return fmt.Errorf("%w: cluster.%s: %v", ErrInvalidConfig, field, err)
	}
	if _, _, err := net.SplitHostPort(c.Gossip); err != nil {
		return bad("gossip", err)
	}
	if c.Remote != "" {
		if _, _, err := net.SplitHostPort(c.Remote); err != nil {
			return bad("remote", err)
		}
	}
	for i, j := range c.Join {
		if _, _, err := net.SplitHostPort(j); err != nil {
			return bad(fmt.Sprintf("join[%d]", i), err)
		}
	}
	if err := c.Detector.Validate(); err != nil {
		return bad("detector", err)
	}
	return nil
}

// clusterPart is the node's cluster membership and its remote endpoint.
type clusterPart struct {
	pc        *pcluster.Cluster // protoactor cluster: remote endpoint, grains
	provider  *cluster.Provider
	forwarder *peer.Forwarder
	joined    atomic.Pointer[cluster.Membership] // set once joined; read by HTTP handlers and callbacks
	states    *prometheus.GaugeVec
	stop      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once
}

// startProtoCluster starts the protoactor cluster member (its remote
// endpoint, before the actor tree, so every PID carries its address), with
// the memberlist-backed provider and the session grain kind.
func startProtoCluster(system *actor.ActorSystem, cfg ClusterConfig, sessions durable.LiveConfig) (c *pcluster.Cluster, p *cluster.Provider, err error) {
	addr := cfg.Remote
	if addr == "" {
		host, _, _ := net.SplitHostPort(cfg.Gossip)
		addr = net.JoinHostPort(host, "0")
	}
	host, port, _ := net.SplitHostPort(addr)
	pn, err := strconv.Atoi(port)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: cluster.remote port %q", ErrInvalidConfig, port)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: cluster endpoint %s: %v", ErrStart, addr, v)
		}
	}()
	p = &cluster.Provider{}
	kind := pcluster.NewKind(durable.SessionKind, durable.SessionGrainProps(sessions))
	c = pcluster.New(system, pcluster.Configure("bizra", p, disthash.New(), remote.Configure(host, pn),
		pcluster.WithKinds(kind), pcluster.WithRequestTimeout(5*time.Second)))
	c.StartMember()
	return c, p, nil
}

// trustKey applies the node's trust policy to another member's key.
func trustKey(allow []string) func(ed25519.PublicKey) error {
	if len(allow) == 0 {
		return nil
	}
	return func(k ed25519.PublicKey) error {
		if slices.Contains(allow, pci.PublicKeyID(k)) {
			return nil
		}
		return fmt.Errorf("key %s is not in trust.allow", pci.PublicKeyID(k))
	}
}

// startMembership joins the cluster and keeps the node's advertised
// capabilities current.
func (n *Node) startMembership() error {
	c := n.cluster
	c.states = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bizra_cluster_members",
		Help: "Cluster members by state, as this node sees them."}, []string{"state"})
	n.reg.MustRegister(c.states)
	transitions := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizra_cluster_transitions_total",
		Help: "Member state changes seen by this node."}, []string{"to"})
	n.reg.MustRegister(transitions)
	self := cluster.Meta{NodeID: n.cfg.NodeID, Remote: n.system.Address(), ActorID: n.system.ID, HTTP: n.HTTPAddr(),
		Key: pci.PublicKeyID(n.PublicKey()), Version: Version, Kinds: []string{durable.SessionKind},
		Capabilities: n.routes.Load().Capabilities()}
	m, err := cluster.Start(cluster.Config{Self: self, Gossip: n.cfg.Cluster.Gossip, Join: n.cfg.Cluster.Join,
		Keys: n.cfg.Cluster.Keys, Detector: n.cfg.Cluster.Detector, LAN: n.cfg.Cluster.LAN,
		Logger: n.log.With("component", "cluster"),
		OnTransition: func(tr cluster.Transition, _ cluster.Meta) {
			transitions.WithLabelValues(tr.To.String()).Inc()
			n.system.EventStream.Publish(tr)
			if tr.To == cluster.Dead {
				c.forwarder.MemberDown(tr.ID)
			}
			c.provider.Refresh()
			n.countMembers()
		}})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	c.joined.Store(m)
	c.forwarder.SetMembers(m)
	c.provider.Attach(m)
	n.countMembers()
	c.stop = make(chan struct{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				if err := m.SetCapabilities(n.routes.Load().Capabilities()); err != nil {
					n.log.Warn("capabilities not gossiped", "error", err)
				}
			}
		}
	}()
	return nil
}

func (n *Node) countMembers() {
	c := n.cluster
	ms := c.joined.Load() // transitions may arrive before Start returns
	if ms == nil {
		return
	}
	counts := map[cluster.State]int{cluster.Joining: 0, cluster.Active: 0, cluster.Suspect: 0, cluster.Dead: 0}
	for _, m := range ms.Members() {
		counts[m.State]++
	}
	for s, k := range counts {
		c.states.WithLabelValues(s.String()).Set(float64(k))
	}
}

// leave tells the cluster the node is going (others see it left).
func (c *clusterPart) leave() {
	c.once.Do(func() {
		if c.stop != nil {
			close(c.stop)
			c.wg.Wait()
		}
		if m := c.joined.Load(); m != nil {
			_ = m.Leave(2 * time.Second)
		}
	})
}

// clusterSessions links records into session grains (placed by the
// cluster's identity lookup on one member) and asks them whether a session
// is committed.
func (c *clusterPart) sessions() (link func(*messages.SessionAppend), committed func(string) bool) {
	link = func(m *messages.SessionAppend) {
		go func() { // placing the grain may ask another member: never on the result's path
			if pid := c.pc.Get(m.GetSessionId(), durable.SessionKind); pid != nil {
				c.pc.ActorSystem.Root.Send(pid, m)
			}
		}()
	}
	committed = func(id string) bool {
		v, err := c.pc.Request(id, durable.SessionKind, &messages.SessionStatus{SessionId: id})
		h, ok := v.(*messages.SessionHead)
		return err == nil && ok && h.GetState() == uint32(session.Committed)
	}
	return link, committed
}

// Members lists the cluster as this node sees it (nil for a single node).
func (n *Node) Members() []cluster.Member {
	if m := n.Membership(); m != nil {
		return m.Members()
	}
	return nil
}

// Membership is the node's cluster membership (nil for a single node).
func (n *Node) Membership() *cluster.Membership {
	if n.cluster == nil {
		return nil
	}
	return n.cluster.joined.Load()
}

// MembersJSON answers GET /v1/members.
type MembersJSON struct {
	NodeID  string           `json:"node_id"`
	Members []cluster.Member `json:"members"`
}

func (n *Node) serveMembers(w http.ResponseWriter, _ *http.Request) {
	out := MembersJSON{NodeID: n.cfg.NodeID, Members: n.Members()}
	if out.Members == nil {
		out.Members = []cluster.Member{{MemberView: cluster.MemberView{ID: n.cfg.NodeID, State: cluster.Active},
			Meta: cluster.Meta{NodeID: n.cfg.NodeID, HTTP: n.HTTPAddr(), Key: pci.PublicKeyID(n.PublicKey()), Version: Version,
				Capabilities: n.routes.Load().Capabilities()}, Self: true}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
