package router

import (
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
)

// Entry is one agent as the router sees it. Entries are immutable once in a
// Snapshot; only Load changes, atomically.
type Entry struct {
	Name         string
	Kind         string
	Capabilities []string
	// PID of the agent's actor (for an external agent, its proxy actor).
	PID *actor.PID
	// Capacity is the mailbox bound: tasks admitted at once.
	Capacity int32
	Load     *Load
	// External agents live in another process and must heartbeat.
	External  bool
	Subject   string
	LastSeen  time.Time
	Heartbeat time.Duration
}

// Info renders the entry for listings.
func (e *Entry) Info(nodeID string) *messages.AgentInfo {
	info := &messages.AgentInfo{
		Name:         e.Name,
		Capabilities: slices.Clone(e.Capabilities),
		NodeId:       nodeID,
		Kind:         e.Kind,
		InFlight:     e.Load.InFlight(),
		Capacity:     e.Capacity,
		Subject:      e.Subject,
	}
	return info
}

// Snapshot is an immutable view of the routing table, read without locks.
type Snapshot struct {
	byCap  map[string][]*Entry
	agents []*Entry // sorted by name
	rr     *atomic.Uint32
}

// Agents lists every agent, sorted by name.
func (s *Snapshot) Agents() []*Entry { return s.agents }

// Capabilities lists the capabilities some agent serves, sorted.
func (s *Snapshot) Capabilities() []string {
	out := make([]string, 0, len(s.byCap))
	for c, es := range s.byCap {
		if len(es) > 0 {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// Candidates lists the agents declaring capability.
func (s *Snapshot) Candidates(capability string) []*Entry { return s.byCap[capability] }

// Acquire picks an agent for capability and admits one task against its
// bound. exclude names an agent to skip (one that just proved unreachable).
// The pick is the least loaded candidate, ties broken round-robin.
func (s *Snapshot) Acquire(capability, exclude string) (*Entry, error) {
	cands := s.byCap[capability]
	n := len(cands)
	if n == 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCapability, capability)
	}
	if n == 1 {
		e := cands[0]
		if e.Name == exclude {
			return nil, fmt.Errorf("%w: %q", ErrUnknownCapability, capability)
		}
		if e.Load.TryAcquire(e.Capacity) {
			return e, nil
		}
		return nil, fmt.Errorf("%w: capability %q", ErrOverloaded, capability)
	}
	start := int(s.rr.Add(1))
	// Two passes: first the least loaded, then anyone with room (the load
	// may have changed between reading and acquiring).
	var best *Entry
	bestRatio := 2.0
	for i := 0; i < n; i++ {
		e := cands[(start+i)%n]
		if e.Name == exclude {
			continue
		}
		r := float64(e.Load.InFlight()) / float64(e.Capacity)
		if r < bestRatio {
			best, bestRatio = e, r
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCapability, capability)
	}
	if best.Load.TryAcquire(best.Capacity) {
		return best, nil
	}
	for i := 0; i < n; i++ {
		e := cands[(start+i)%n]
		if e.Name != exclude && e.Load.TryAcquire(e.Capacity) {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w: capability %q", ErrOverloaded, capability)
}

// Table is the router's pure core: the set of known agents. It is owned by
// one goroutine (the router actor); every change returns the new Snapshot to
// publish.
type Table struct {
	agents map[string]*Entry
	rr     atomic.Uint32
	snap   *Snapshot
}

// NewTable returns an empty table.
func NewTable() *Table {
	t := &Table{agents: make(map[string]*Entry)}
	t.snap = t.build()
	return t
}

// Snapshot is the current view.
func (t *Table) Snapshot() *Snapshot { return t.snap }

// Get returns the entry named name.
func (t *Table) Get(name string) (*Entry, bool) {
	e, ok := t.agents[name]
	return e, ok
}

// Put adds an agent or, for an external agent already known under the same
// name, replaces its declaration (capabilities, subject) while keeping its
// actor and load. A name held by a local agent, or by an agent of the other
// sort, is refused with ErrNameTaken.
func (t *Table) Put(e Entry, now time.Time) (*Snapshot, error) {
	if err := CheckAgent(e.Name, e.Capabilities); err != nil {
		return t.snap, err
	}
	if e.Capacity < 1 {
		e.Capacity = 1
	}
	if old, ok := t.agents[e.Name]; ok {
		if !old.External || !e.External {
			return t.snap, fmt.Errorf("%w: %q", ErrNameTaken, e.Name)
		}
		e.PID, e.Load = old.PID, old.Load
	}
	if e.Load == nil {
		e.Load = &Load{}
	}
	e.Capabilities = dedupe(e.Capabilities)
	e.LastSeen = now
	cp := e
	t.agents[e.Name] = &cp
	t.snap = t.build()
	return t.snap, nil
}

// Touch records a heartbeat from the named external agent. It reports
// whether the agent is known.
func (t *Table) Touch(name string, now time.Time) bool {
	old, ok := t.agents[name]
	if !ok {
		return false
	}
	if !old.External {
		return true
	}
	cp := *old
	cp.LastSeen = now
	t.agents[name] = &cp
	// LastSeen is not part of routing; the snapshot still refers to the
	// old entry, which shares PID and Load, so no rebuild is needed.
	return true
}

// Remove drops the named agent.
func (t *Table) Remove(name string) (*Entry, *Snapshot, error) {
	old, ok := t.agents[name]
	if !ok {
		return nil, t.snap, fmt.Errorf("%w: %q", ErrUnknownAgent, name)
	}
	delete(t.agents, name)
	t.snap = t.build()
	return old, t.snap, nil
}

// Expire drops external agents whose last heartbeat is older than misses
// heartbeat intervals, and returns them so the caller can stop their actors.
func (t *Table) Expire(now time.Time, misses int) ([]*Entry, *Snapshot) {
	var gone []*Entry
	for name, e := range t.agents {
		if !e.External || e.Heartbeat <= 0 {
			continue
		}
		if now.Sub(e.LastSeen) > time.Duration(misses)*e.Heartbeat {
			gone = append(gone, e)
			delete(t.agents, name)
		}
	}
	if len(gone) > 0 {
		sort.Slice(gone, func(i, j int) bool { return gone[i].Name < gone[j].Name })
		t.snap = t.build()
	}
	return gone, t.snap
}

func (t *Table) build() *Snapshot {
	s := &Snapshot{byCap: make(map[string][]*Entry), rr: &t.rr}
	for _, e := range t.agents {
		s.agents = append(s.agents, e)
	}
	sort.Slice(s.agents, func(i, j int) bool { return s.agents[i].Name < s.agents[j].Name })
	for _, e := range s.agents {
		for _, c := range e.Capabilities {
			s.byCap[c] = append(s.byCap[c], e)
		}
	}
	return s
}

func dedupe(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
