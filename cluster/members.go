package cluster

import (
	"fmt"
	"sort"
	"time"
)

// Reasons a member changed state.
const (
	ReasonJoined    = "joined"
	ReasonHeartbeat = "heartbeat"
	ReasonSilent    = "phi above threshold"
	ReasonLeft      = "left"
	ReasonFailed    = "unreachable by gossip"
)

// Transition is one change of a member's state.
type Transition struct {
	ID       string
	From, To State // From is 0 for a member seen for the first time
	Phi      float64
	Reason   string
	At       time.Time
}

func (t Transition) String() string {
	return fmt.Sprintf("%s %s -> %s (%s, phi %.2f)", t.ID, t.From, t.To, t.Reason, t.Phi)
}

// MemberView is a member's state as Members reports it.
type MemberView struct {
	ID            string    `json:"id"`
	State         State     `json:"state"`
	Phi           float64   `json:"phi"`
	Reason        string    `json:"reason"`
	Since         time.Time `json:"since"`
	LastHeartbeat time.Time `json:"last_heartbeat,omitzero"`
}

type member struct {
	state  State
	reason string
	since  time.Time
	det    *PhiDetector
}

// Members tracks the states of a cluster's members (see the package doc).
// It is a pure core: not safe for concurrent use, no clock, no I/O.
type Members struct {
	cfg DetectorConfig
	m   map[string]*member
}

// NewMembers validates cfg and returns an empty view.
func NewMembers(cfg DetectorConfig) (*Members, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Members{cfg: cfg, m: map[string]*member{}}, nil
}

func (ms *Members) set(id string, m *member, to State, reason string, now time.Time) Transition {
	t := Transition{ID: id, From: m.state, To: to, Phi: m.det.Phi(now), Reason: reason, At: now}
	m.state, m.reason, m.since = to, reason, now
	return t
}

// Join records that id joined (gossip saw it). A new member, or a DEAD one
// joining again, starts at JOINING with a fresh detector; a live member
// is unchanged.
func (ms *Members) Join(id string, now time.Time) []Transition {
	m, ok := ms.m[id]
	if ok && m.state != Dead {
		return nil
	}
	var prev State
	if ok {
		prev = m.state
	}
	m = &member{state: prev, det: NewPhiDetector(ms.cfg)}
	ms.m[id] = m
	return []Transition{ms.set(id, m, Joining, ReasonJoined, now)}
}

// Heartbeat records a heartbeat from id; an unknown member joins first.
// JOINING and SUSPECT members become ACTIVE. A member that was DEAD by
// silence (or by gossip) and heartbeats again is back: it passes through
// JOINING with a fresh detector. A member that left must join again: its
// heartbeats are ignored.
func (ms *Members) Heartbeat(id string, now time.Time) []Transition {
	var out []Transition
	m, ok := ms.m[id]
	if !ok || (m.state == Dead && m.reason != ReasonLeft) {
		out = ms.Join(id, now)
		m = ms.m[id]
	}
	if m.state == Dead {
		return out
	}
	m.det.Heartbeat(now)
	if m.state == Joining || m.state == Suspect {
		out = append(out, ms.set(id, m, Active, ReasonHeartbeat, now))
	}
	return out
}

// Leave records a graceful leave: the member is DEAD with reason "left".
func (ms *Members) Leave(id string, now time.Time) []Transition {
	m, ok := ms.m[id]
	if !ok || m.state == Dead {
		return nil
	}
	return []Transition{ms.set(id, m, Dead, ReasonLeft, now)}
}

// Fail records that gossip declared the member dead (its SWIM probes and
// suspicion ran out before phi did): an ACTIVE member becomes SUSPECT (it
// gets no new work) and phi decides when it is DEAD; a member that never
// heartbeated (no phi to wait for) is DEAD at once.
func (ms *Members) Fail(id string, now time.Time) []Transition {
	m, ok := ms.m[id]
	if !ok || m.state == Dead || m.state == Suspect {
		return nil
	}
	if m.det.Last().IsZero() {
		return []Transition{ms.set(id, m, Dead, ReasonFailed, now)}
	}
	return []Transition{ms.set(id, m, Suspect, ReasonFailed, now)}
}

// Tick re-evaluates every member's phi at now: ACTIVE members at or over
// SuspectPhi become SUSPECT, SUSPECT members at or over DeadPhi become
// DEAD. Transitions come back in member-id order.
func (ms *Members) Tick(now time.Time) []Transition {
	var out []Transition
	for _, id := range ms.ids() {
		m := ms.m[id]
		p := m.det.Phi(now)
		switch {
		case m.state == Active && p >= ms.cfg.DeadPhi:
			out = append(out, ms.set(id, m, Suspect, ReasonSilent, now), ms.set(id, m, Dead, ReasonSilent, now))
		case m.state == Active && p >= ms.cfg.SuspectPhi:
			out = append(out, ms.set(id, m, Suspect, ReasonSilent, now))
		case m.state == Suspect && p >= ms.cfg.DeadPhi:
			out = append(out, ms.set(id, m, Dead, ReasonSilent, now))
		}
	}
	return out
}

// Remove forgets a member (after it has been DEAD long enough to matter no
// more).
func (ms *Members) Remove(id string) { delete(ms.m, id) }

// Get returns one member's view.
func (ms *Members) Get(id string, now time.Time) (MemberView, error) {
	m, ok := ms.m[id]
	if !ok {
		return MemberView{}, fmt.Errorf("%w: %s", ErrUnknownMember, id)
	}
	return MemberView{ID: id, State: m.state, Phi: m.det.Phi(now), Reason: m.reason, Since: m.since, LastHeartbeat: m.det.Last()}, nil
}

// List returns every member's view in id order.
func (ms *Members) List(now time.Time) []MemberView {
	out := make([]MemberView, 0, len(ms.m))
	for _, id := range ms.ids() {
		v, _ := ms.Get(id, now)
		out = append(out, v)
	}
	return out
}

func (ms *Members) ids() []string {
	ids := make([]string, 0, len(ms.m))
	for id := range ms.m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
