package peer

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/ingress"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/cluster"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
)

// Members is what the Forwarder needs of the membership.
type Members interface {
	// Candidates returns the ACTIVE members (not this node) that serve
	// capability.
	Candidates(capability string) []cluster.Member
}

// Forwarder sends cards to other members (see the package doc). It is safe
// for concurrent use.
type Forwarder struct {
	NodeID string
	System *actor.ActorSystem
	// Trust, when set, must accept a member's key before its results are;
	// nil accepts any member's gossiped key.
	Trust  func(ed25519.PublicKey) error
	Logger *slog.Logger

	mu       sync.Mutex
	members  Members                          // nil until SetMembers
	inflight map[string]map[*pending]struct{} // by member id
	turn     int
}

// SetMembers gives the Forwarder the membership (until then no member is
// a candidate).
func (f *Forwarder) SetMembers(m Members) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members = m
}

type pending struct {
	card    *messages.TaskCard
	member  string
	tried   []string
	timeout time.Duration
	done    func(*messages.TaskResult)
	once    sync.Once
}

func (p *pending) finish(res *messages.TaskResult) { p.once.Do(func() { p.done(res) }) }

var _ router.Remote = (*Forwarder)(nil)

// Forward implements router.Remote.
func (f *Forwarder) Forward(card *messages.TaskCard, timeout time.Duration, done func(*messages.TaskResult)) {
	f.send(&pending{card: card, timeout: timeout, done: done})
}

// pick chooses the member with the fewest cards in flight from this node,
// rotating among equals, skipping those already tried.
func (f *Forwarder) pick(capability string, tried []string) (cluster.Member, bool) {
	f.mu.Lock()
	members := f.members
	f.mu.Unlock()
	if members == nil {
		return cluster.Member{}, false
	}
	var cands []cluster.Member
	for _, m := range members.Candidates(capability) {
		if !slices.Contains(tried, m.ID) && m.Meta.Remote != "" {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return cluster.Member{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.turn++
	best, bestLoad := -1, 0
	for i := range cands {
		j := (i + f.turn) % len(cands)
		load := len(f.inflight[cands[j].ID])
		if best < 0 || load < bestLoad {
			best, bestLoad = j, load
		}
	}
	return cands[best], true
}

func (f *Forwarder) send(p *pending) {
	capability := p.card.GetCapability()
	m, ok := f.pick(capability, p.tried)
	if !ok {
		msg := fmt.Sprintf("no agent on node %q or on any ACTIVE cluster member has capability %q", f.NodeID, capability)
		if len(p.tried) > 0 {
			msg = fmt.Sprintf("no other ACTIVE member has capability %q (tried %v)", capability, p.tried)
		}
		p.finish(router.Reject(p.card, f.NodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeUnknownCapability, msg))
		return
	}
	p.member = m.ID
	p.tried = append(p.tried, m.ID)
	f.track(p, true)
	pid := actor.NewPID(m.Meta.Remote, "bizra/"+ActorName)
	fut := f.System.Root.RequestFuture(pid, &messages.PeerTask{Card: p.card, FromNode: f.NodeID}, p.timeout)
	go func() {
		v, err := fut.Result()
		f.track(p, false)
		switch {
		case errors.Is(err, actor.ErrDeadLetter):
			// Never delivered: another member may run it.
			f.Logger.Warn("peer: card not delivered; trying another member", "member", m.ID, "task", p.card.GetId())
			f.send(p)
		case errors.Is(err, actor.ErrTimeout):
			p.finish(router.Reject(p.card, f.NodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeDeadlineExceeded,
				fmt.Sprintf("member %q did not answer within %s", m.ID, p.timeout)))
		case err != nil:
			p.finish(router.Reject(p.card, f.NodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeMemberLost,
				fmt.Sprintf("member %q: %v", m.ID, err)))
		default:
			p.finish(f.open(p.card, m, v))
		}
	}()
}

// open verifies a member's answer.
func (f *Forwarder) open(card *messages.TaskCard, m cluster.Member, v any) *messages.TaskResult {
	untrusted := func(err error) *messages.TaskResult {
		f.Logger.Warn("peer: answer refused", "member", m.ID, "error", err)
		return router.Reject(card, f.NodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodePeerUntrusted,
			fmt.Sprintf("member %q: %v", m.ID, err))
	}
	pr, ok := v.(*messages.PeerResult)
	if !ok {
		return untrusted(fmt.Errorf("%w: answer is %T, not a PeerResult", ErrBadMessage, v))
	}
	res, env, err := ingress.OpenResult(pr.GetEnvelope(), time.Now())
	if err != nil {
		return untrusted(fmt.Errorf("%w: %w", ErrUntrusted, err))
	}
	want, err := pci.ParsePublicKeyID(m.Meta.Key)
	if err != nil {
		return untrusted(fmt.Errorf("%w: member gossips no usable key: %w", ErrUntrusted, err))
	}
	if !bytes.Equal(env.GetSignerPublicKey(), want) {
		return untrusted(fmt.Errorf("%w: signed by %s, member gossips %s", ErrUntrusted, pci.PublicKeyID(env.GetSignerPublicKey()), m.Meta.Key))
	}
	if f.Trust != nil {
		if err := f.Trust(want); err != nil {
			return untrusted(fmt.Errorf("%w: %w", ErrUntrusted, err))
		}
	}
	if res.GetTaskId() != card.GetId() {
		return untrusted(fmt.Errorf("%w: answer is for task %q", ErrUntrusted, res.GetTaskId()))
	}
	// The member's governance record stays in its own records; this node
	// records what its own pipeline decided.
	res.Governance = nil
	return res
}

func (f *Forwarder) track(p *pending, add bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight == nil {
		f.inflight = map[string]map[*pending]struct{}{}
	}
	set := f.inflight[p.member]
	if add {
		if set == nil {
			set = map[*pending]struct{}{}
			f.inflight[p.member] = set
		}
		set[p] = struct{}{}
		return
	}
	delete(set, p)
}

// InFlight returns how many cards this node has in flight on member id.
func (f *Forwarder) InFlight(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.inflight[id])
}

// MemberDown ends or moves the cards in flight on a member that died: an
// idempotent card is retried once on another member, any other ends
// FAILED with E_MEMBER_LOST.
func (f *Forwarder) MemberDown(id string) {
	f.mu.Lock()
	lost := f.inflight[id]
	delete(f.inflight, id)
	f.mu.Unlock()
	for p := range lost {
		if p.card.GetIdempotent() && len(p.tried) == 1 {
			f.Logger.Warn("peer: member died holding an idempotent card; retrying once elsewhere", "member", id, "task", p.card.GetId())
			// The first attempt's answer, should it still come, is ignored.
			retry := &pending{card: p.card, timeout: p.timeout, tried: p.tried, done: p.finish}
			f.send(retry)
			continue
		}
		p.finish(router.Reject(p.card, f.NodeID, messages.TaskState_TASK_STATE_FAILED, messages.CodeMemberLost,
			fmt.Sprintf("member %q died while running the task; not retried: %s", id, notRetried(p))))
	}
}

func notRetried(p *pending) string {
	if !p.card.GetIdempotent() {
		return "the task is not idempotent"
	}
	return fmt.Sprintf("its one retry was used (tried %v)", p.tried)
}
