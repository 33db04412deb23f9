package cluster

import (
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Config configures a Membership.
type Config struct {
	// Self is this member's metadata (NodeID is required).
	Self Meta
	// Gossip is the memberlist bind address "host:port" (port 0 picks one).
	Gossip string
	// Join lists members to join ("host:port"); empty starts a new cluster.
	Join []string
	// Keys are gossip encryption keys (base64 of 16, 24 or 32 bytes); the
	// first is the primary (used to encrypt), all are tried to decrypt.
	// Empty: gossip is not encrypted.
	Keys []string
	// Detector tunes the phi-accrual failure detector and heartbeats.
	Detector DetectorConfig
	// LAN uses memberlist's LAN timings (probe every 1 s); false uses its
	// loopback timings (faster, for tests and one-host clusters).
	LAN bool
	// OnTransition is called, in order, for every member state change.
	OnTransition func(Transition, Meta)
	Logger       *slog.Logger
}

// Member is one member as the local node sees it.
type Member struct {
	MemberView
	Meta   Meta   `json:"meta"`
	Gossip string `json:"gossip"`
	Self   bool   `json:"self"`
}

// Membership is this node's membership of a cluster: memberlist (SWIM with
// Lifeguard) for discovery, gossip and metadata, plus heartbeats every
// Detector.HeartbeatInterval feeding a phi-accrual detector per member
// (Members) for the JOINING/ACTIVE/SUSPECT/DEAD states. It owns two
// goroutines (heartbeats, phi ticks) besides memberlist's; Leave and Stop
// are safe to call more than once.
type Membership struct {
	cfg  Config
	ml   *memberlist.Memberlist
	keys *memberlist.Keyring

	mu      sync.Mutex
	members *Members
	meta    map[string]Meta
	gossip  map[string]string // gossip address by member id
	alive   map[string]string // gossip address of members gossip counts alive
	self    Meta
	events  chan func() // transitions, delivered in order by one goroutine
	addr    string      // gossip address, set once at start

	stop     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// Start starts gossip and joins cfg.Join.
func Start(cfg Config) (*Membership, error) {
	if cfg.Self.NodeID == "" {
		return nil, fmt.Errorf("%w: self.id must be set", ErrInvalidConfig)
	}
	if err := cfg.Detector.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := cfg.Self.Encode(); err != nil {
		return nil, err
	}
	members, _ := NewMembers(cfg.Detector)
	m := &Membership{cfg: cfg, members: members, meta: map[string]Meta{}, gossip: map[string]string{}, alive: map[string]string{},
		self: cfg.Self, events: make(chan func(), 1024), stop: make(chan struct{})}

	mc := memberlist.DefaultLocalConfig()
	if cfg.LAN {
		mc = memberlist.DefaultLANConfig()
	}
	mc.Name = cfg.Self.NodeID
	// A member restarted under its name on another address takes its
	// place once its old incarnation has been dead this long.
	mc.DeadNodeReclaimTime = 4 * cfg.Detector.HeartbeatInterval
	host, port, err := net.SplitHostPort(cfg.Gossip)
	if err != nil {
		return nil, fmt.Errorf("%w: gossip %q: %w", ErrInvalidConfig, cfg.Gossip, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("%w: gossip port %q", ErrInvalidConfig, port)
	}
	mc.BindAddr, mc.BindPort, mc.AdvertisePort = host, p, p
	mc.Delegate = (*delegate)(m)
	mc.Events = (*events)(m)
	mc.Logger = log.New(slogWriter{cfg.Logger}, "", 0)
	if len(cfg.Keys) > 0 {
		var keys [][]byte
		for i, k := range cfg.Keys {
			b, err := decodeKey(k)
			if err != nil {
				return nil, fmt.Errorf("%w: keys[%d]: %w", ErrInvalidConfig, i, err)
			}
			keys = append(keys, b)
		}
		if m.keys, err = memberlist.NewKeyring(keys, keys[0]); err != nil {
			return nil, fmt.Errorf("%w: keys: %w", ErrInvalidConfig, err)
		}
		mc.Keyring = m.keys
		mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = true, true
	}
	m.wg.Add(1)
	go m.deliver()
	if m.ml, err = memberlist.Create(mc); err != nil {
		m.stopGoroutines()
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	ln := m.ml.LocalNode()
	m.addr = net.JoinHostPort(ln.Addr.String(), strconv.Itoa(int(ln.Port)))
	if len(cfg.Join) > 0 {
		if _, err := m.ml.Join(cfg.Join); err != nil {
			_ = m.ml.Shutdown()
			m.stopGoroutines()
			return nil, fmt.Errorf("%w: join %v: %w", ErrStart, cfg.Join, err)
		}
	}
	m.wg.Add(2)
	go m.heartbeats()
	go m.ticks()
	return m, nil
}

func decodeKey(k string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	if n := len(b); n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("%w: %d bytes (want 16, 24 or 32)", ErrBadKey, n)
	}
	return b, nil
}

// Addr returns the gossip address this member listens on.
func (m *Membership) Addr() string { return m.addr }

// GossipAlive is how many members memberlist itself counts alive (this one
// included), for comparing its failure detection with the phi detector's.
func (m *Membership) GossipAlive() int { return m.ml.NumMembers() }

// Self returns this member's current metadata.
func (m *Membership) Self() Meta {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.self
}

// SetCapabilities updates the capabilities this member advertises and
// gossips the change (when it differs).
func (m *Membership) SetCapabilities(caps []string) error {
	caps = slices.Clone(caps)
	slices.Sort(caps)
	caps = slices.Compact(caps)
	m.mu.Lock()
	if slices.Equal(caps, m.self.Capabilities) {
		m.mu.Unlock()
		return nil
	}
	next := m.self
	next.Capabilities = caps
	if _, err := next.Encode(); err != nil {
		m.mu.Unlock()
		return err
	}
	m.self = next
	m.mu.Unlock()
	return m.ml.UpdateNode(5 * time.Second)
}

// Members lists every member known, this one included, by id.
func (m *Membership) Members() []Member {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Member{{MemberView: MemberView{ID: m.self.NodeID, State: Active, Since: now}, Meta: m.self, Gossip: m.Addr(), Self: true}}
	for _, v := range m.members.List(now) {
		out = append(out, Member{MemberView: v, Meta: m.meta[v.ID], Gossip: m.gossip[v.ID]})
	}
	slices.SortFunc(out, func(a, b Member) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// Candidates returns the ACTIVE members (not this one) that serve
// capability, by id. SUSPECT and DEAD members get no new work.
func (m *Membership) Candidates(capability string) []Member {
	var out []Member
	for _, mb := range m.Members() {
		if !mb.Self && mb.State.Routable() && mb.Meta.Has(capability) {
			out = append(out, mb)
		}
	}
	return out
}

// Member returns one member's view.
func (m *Membership) Member(id string) (Member, bool) {
	for _, mb := range m.Members() {
		if mb.ID == id {
			return mb, true
		}
	}
	return Member{}, false
}

// Keyring returns the gossip keyring (nil when gossip is not encrypted).
// Rotation without downtime: InstallKey the new key on every member, then
// UseKey it on every member, then RemoveKey the old one.
func (m *Membership) Keyring() *memberlist.Keyring { return m.keys }

// InstallKey adds a base64 gossip key for decryption.
func (m *Membership) InstallKey(k string) error {
	return m.keyOp(k, func(b []byte) error { return m.keys.AddKey(b) })
}

// UseKey makes an installed key the one gossip is encrypted with.
func (m *Membership) UseKey(k string) error {
	return m.keyOp(k, func(b []byte) error { return m.keys.UseKey(b) })
}

// RemoveKey removes a key that is not the primary.
func (m *Membership) RemoveKey(k string) error {
	return m.keyOp(k, func(b []byte) error { return m.keys.RemoveKey(b) })
}

func (m *Membership) keyOp(k string, op func([]byte) error) error {
	if m.keys == nil {
		return fmt.Errorf("%w: gossip is not encrypted on this member", ErrBadKey)
	}
	b, err := decodeKey(k)
	if err != nil {
		return err
	}
	if err := op(b); err != nil {
		return fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	return nil
}

// Leave tells the cluster this member is leaving (others see it DEAD with
// reason "left", not failed) and stops. Safe to call more than once.
func (m *Membership) Leave(timeout time.Duration) error {
	var err error
	m.stopOnce.Do(func() {
		// memberlist does not tell its listeners a leave from a failure,
		// so a leaving member says so itself first.
		msg := append([]byte{msgLeave}, m.cfg.Self.NodeID...)
		for _, n := range m.peers() {
			_ = m.ml.SendReliable(n, msg)
		}
		err = m.ml.Leave(timeout)
		_ = m.ml.Shutdown()
		m.stopGoroutines()
	})
	return err
}

// Stop stops gossip without leaving (others will see this member fail).
// Safe to call more than once, and after Leave.
func (m *Membership) Stop() {
	m.stopOnce.Do(func() {
		_ = m.ml.Shutdown()
		m.stopGoroutines()
	})
}

func (m *Membership) stopGoroutines() {
	close(m.stop)
	m.wg.Wait()
}

// heartbeats sends a heartbeat to every live member each interval.
func (m *Membership) heartbeats() {
	defer m.wg.Done()
	msg := append([]byte{msgHeartbeat}, m.cfg.Self.NodeID...)
	t := time.NewTicker(m.cfg.Detector.HeartbeatInterval)
	defer t.Stop()
	for {
		for _, n := range m.peers() {
			_ = m.ml.SendBestEffort(n, msg)
		}
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

// peers returns the members gossip counts alive, as copies of what the
// event callbacks recorded (memberlist's own Node values change under it).
func (m *Membership) peers() []*memberlist.Node {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*memberlist.Node, 0, len(m.alive))
	for id, addr := range m.alive {
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		out = append(out, &memberlist.Node{Name: id, Addr: net.ParseIP(host), Port: uint16(p)})
	}
	return out
}

// ticks re-evaluates phi four times per heartbeat interval.
func (m *Membership) ticks() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.Detector.HeartbeatInterval / 4)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.apply(func() []Transition { return m.members.Tick(now) })
		}
	}
}

// apply runs a Members change under the lock and queues its transitions.
func (m *Membership) apply(f func() []Transition) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, tr := range f() {
		meta := m.meta[tr.ID]
		m.cfg.Logger.Info("member state", "member", tr.ID, "from", tr.From, "to", tr.To, "reason", tr.Reason, "phi", tr.Phi)
		if cb := m.cfg.OnTransition; cb != nil {
			select {
			case m.events <- func() { cb(tr, meta) }:
			case <-m.stop:
			}
		}
	}
}

// deliver runs transition callbacks in order, off the gossip goroutines.
func (m *Membership) deliver() {
	defer m.wg.Done()
	for {
		select {
		case f := <-m.events:
			f()
		case <-m.stop:
			for {
				select {
				case f := <-m.events:
					f()
				default:
					return
				}
			}
		}
	}
}

// User messages between members: a heartbeat or a leave notice, then the
// sender's node id.
const (
	msgHeartbeat = 'h'
	msgLeave     = 'l'
)

// delegate is memberlist's Delegate.
type delegate Membership

func (d *delegate) NodeMeta(limit int) []byte {
	m := (*Membership)(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.self.Encode()
	if err != nil || len(b) > limit {
		return nil
	}
	return b
}

func (d *delegate) NotifyMsg(b []byte) {
	if len(b) < 2 || (b[0] != msgHeartbeat && b[0] != msgLeave) {
		return
	}
	m := (*Membership)(d)
	id, now := string(b[1:]), time.Now()
	if b[0] == msgLeave {
		m.apply(func() []Transition { return m.members.Leave(id, now) })
		return
	}
	m.mu.Lock()
	_, known := m.meta[id]
	m.mu.Unlock()
	if !known {
		return // not (yet) a member: gossip tells us its metadata first
	}
	m.apply(func() []Transition { return m.members.Heartbeat(id, now) })
}

func (d *delegate) GetBroadcasts(int, int) [][]byte { return nil }
func (d *delegate) LocalState(bool) []byte          { return nil }
func (d *delegate) MergeRemoteState([]byte, bool)   {}

// events is memberlist's EventDelegate.
type events Membership

func (e *events) NotifyJoin(n *memberlist.Node) { (*Membership)(e).seen(n, true) }
func (e *events) NotifyUpdate(n *memberlist.Node) {
	(*Membership)(e).seen(n, false)
}

// NotifyLeave: gossip declared the member dead or saw it leave (a member
// that left told us first, see Leave).
func (e *events) NotifyLeave(n *memberlist.Node) {
	m := (*Membership)(e)
	if n.Name == m.cfg.Self.NodeID {
		return
	}
	now := time.Now()
	m.apply(func() []Transition {
		delete(m.alive, n.Name)
		return m.members.Fail(n.Name, now)
	})
}

func (m *Membership) seen(n *memberlist.Node, join bool) {
	if n.Name == m.cfg.Self.NodeID {
		return
	}
	meta, err := DecodeMeta(n.Meta)
	if err != nil || meta.NodeID != n.Name {
		m.cfg.Logger.Warn("member with unreadable metadata ignored", "member", n.Name, "error", err)
		return
	}
	now := time.Now()
	m.apply(func() []Transition {
		m.meta[n.Name] = meta
		m.gossip[n.Name] = net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
		m.alive[n.Name] = m.gossip[n.Name]
		if join {
			return m.members.Join(n.Name, now)
		}
		return nil
	})
}

// slogWriter sends memberlist's log lines to slog at debug level.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug(string(p), "component", "memberlist")
	return len(p), nil
}
