package durable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/store"
	"github.com/zeebo/blake3"
)

// SessionDAGID names a session's own DAG among the records: "<id>/@session",
// so `bizra session show ID` lists it beside the session's task records.
func SessionDAGID(id string) string { return id + "/@session" }

// LiveConfig configures the session actors.
type LiveConfig struct {
	NodeID string
	Nodes  *store.DAGStore
	Heads  *store.Heads
	Commit *store.Committer
	// Idle is how long a session actor lives without messages before it
	// passivates (stops; its state is in the store and reloads on demand).
	Idle time.Duration
	// Fetch, when set, is asked for a session's DAG (the proof of its head,
	// which holds every node) when this store has none: a grain that moved
	// to this member takes its DAG along from the member that had it.
	Fetch  func(sessionID string) (*session.Proof, error)
	Logger *slog.Logger
	Now    func() time.Time
}

// Sessions returns the props of the session supervisor: it spawns one actor
// per live session on the first message for it (SessionAppend,
// SessionClose), restarts a crashed one (which reloads from the store),
// and lets idle ones passivate.
//
// A session's own DAG (SessionDAGID) links its task records: it starts
// init → active when the first record arrives; each record adds a branch
// from the head carrying the record's head and merges it back (active);
// SessionClose moves it computing → validated → committed. Every change's
// nodes and the head are written in one synced batch before the answer.
func Sessions(cfg LiveConfig) *actor.Props {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return actor.PropsFromProducer(func() actor.Actor { return &supervisorActor{cfg: cfg} },
		actor.WithSupervisor(actor.NewOneForOneStrategy(10, time.Minute, actor.DefaultDecider)))
}

type supervisorActor struct {
	cfg      LiveConfig
	children map[string]*actor.PID // live session actors by session id
	ids      map[string]string     // session id by child PID id
}

func childName(id string) string {
	h := blake3.Sum256([]byte(id))
	return fmt.Sprintf("s-%x", h[:12])
}

func (s *supervisorActor) Receive(ctx actor.Context) {
	var id string
	switch m := ctx.Message().(type) {
	case *messages.SessionAppend:
		id = m.GetSessionId()
	case *messages.SessionClose:
		id = m.GetSessionId()
	case *messages.SessionStatus:
		id = m.GetSessionId()
	case *actor.Started:
		s.children, s.ids = map[string]*actor.PID{}, map[string]string{}
		return
	case *actor.Terminated: // a session passivated (or gave up)
		if id, ok := s.ids[m.GetWho().GetId()]; ok {
			delete(s.children, id)
			delete(s.ids, m.GetWho().GetId())
		}
		return
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
		return
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
		return
	}
	pid, ok := s.children[id]
	if !ok {
		cfg := s.cfg
		var err error
		if pid, err = ctx.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &liveActor{cfg: cfg, id: id} }), childName(id)); err != nil {
			ctx.Respond(&messages.SessionHead{SessionId: id, Error: err.Error()})
			return
		}
		s.children[id], s.ids[pid.GetId()] = pid, id
	}
	ctx.Forward(pid)
}

// SessionKind is the cluster kind of session grains.
const SessionKind = "session"

// SessionGrainProps are the props of a session grain (cluster kind
// SessionKind, identity = session id): the same actor as under Sessions,
// placed on the member the cluster's identity lookup chooses, keeping its
// DAG in that member's store.
func SessionGrainProps(cfg LiveConfig) *actor.Props {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return actor.PropsFromProducer(func() actor.Actor { return &liveActor{cfg: cfg} })
}

// liveActor is one session's actor: a thin shell around session.Session.
type liveActor struct {
	cfg LiveConfig
	id  string
	s   *session.Session // nil until the first record
	buf *bufferedNodes
}

func (a *liveActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if a.id != "" { // a grain learns its id from ClusterInit
			a.load(ctx)
		}
	case *pcluster.ClusterInit:
		a.id = m.Identity.GetIdentity()
		a.load(ctx)
	case *actor.ReceiveTimeout:
		ctx.Stop(ctx.Self()) // passivate: everything is in the store
	case *messages.SessionAppend:
		a.answer(ctx, a.append(m))
	case *messages.SessionClose:
		a.answer(ctx, a.close())
	case *messages.SessionStatus:
		a.answer(ctx, nil)
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		ctx.ActorSystem().EventStream.Publish(&actor.DeadLetterEvent{PID: ctx.Self(), Message: m, Sender: ctx.Sender()})
	}
}

// load reads the session from the store (a session seen for the first
// time has none) and arms passivation.
func (a *liveActor) load(ctx actor.Context) {
	a.buf = &bufferedNodes{d: a.cfg.Nodes, pending: map[session.Hash][]byte{}}
	s, err := a.resume()
	if errors.Is(err, store.ErrNotFound) && a.cfg.Fetch != nil {
		s, err = a.adopt()
	}
	switch {
	case err == nil:
		a.s = s
	case errors.Is(err, store.ErrNotFound):
	default:
		panic(fmt.Errorf("session %q: reload: %w", a.id, err)) // the supervisor restarts, or gives up
	}
	if a.cfg.Idle > 0 {
		ctx.SetReceiveTimeout(a.cfg.Idle)
	}
}

func (a *liveActor) answer(ctx actor.Context, err error) {
	out := &messages.SessionHead{SessionId: a.id}
	if a.s != nil {
		h := a.s.Head()
		out.Head, out.State, out.Records = h[:], uint32(a.s.State()), a.records()
	}
	if err != nil {
		out.Error = err.Error()
		a.cfg.Logger.Warn("session change refused", "session", a.id, "error", err)
	}
	if ctx.Sender() != nil {
		ctx.Respond(out)
	}
}

// records counts the merges: each linked record is a branch and a merge.
func (a *liveActor) records() uint64 {
	n := a.s.Len() - 2
	if a.s.State() != session.Active {
		n -= int(a.s.State() - session.Active)
	}
	return uint64(max(n, 0) / 2)
}

func (a *liveActor) append(m *messages.SessionAppend) error {
	if len(m.GetRecordHead()) != session.HashSize {
		return fmt.Errorf("%w: record head of %d bytes", ErrBadEvent, len(m.GetRecordHead()))
	}
	now := a.cfg.Now()
	if a.s == nil {
		s, err := session.Create(SessionDAGID(a.id), a.buf, now)
		if err == nil {
			_, err = s.Begin(session.HashPayload([]byte("bizra/session-open/"+a.id)), now)
		}
		if err != nil {
			a.buf.reset()
			return err
		}
		a.s = s
	}
	if a.s.Committed() {
		return fmt.Errorf("%w: session %q", session.ErrCommitted, a.id)
	}
	link := binary.BigEndian.AppendUint32(nil, uint32(len(m.GetRecordId())))
	link = append(append(link, m.GetRecordId()...), m.GetRecordHead()...)
	head := a.s.Head()
	b, err := a.s.Branch(head, session.HashPayload(link), now)
	if err == nil {
		_, err = a.s.Merge([]session.Hash{head, b}, session.Hash(m.GetRecordHead()), now)
	}
	if err != nil {
		return a.undo(err)
	}
	return a.flush(now)
}

func (a *liveActor) close() error {
	if a.s == nil {
		return fmt.Errorf("%w: session %q has no records", store.ErrNotFound, a.id)
	}
	now := a.cfg.Now()
	n := a.records()
	if _, err := a.s.StartCompute(session.HashPayload(binary.BigEndian.AppendUint64(nil, n)), now); err != nil {
		return a.undo(err)
	}
	h := a.s.Head()
	if _, err := a.s.Validate(session.HashPayload(h[:]), now); err != nil {
		return a.undo(err)
	}
	if _, err := a.s.Commit(session.HashPayload([]byte(a.cfg.NodeID)), now); err != nil {
		return a.undo(err)
	}
	return a.flush(now)
}

// adopt takes the session's DAG from another member (Fetch): the proof is
// verified, its nodes and the head are written in one synced batch, and
// the session resumes from them. ErrNotFound when no member has one.
func (a *liveActor) adopt() (*session.Session, error) {
	p, err := a.cfg.Fetch(a.id)
	if err != nil || p == nil {
		return nil, fmt.Errorf("%w: session %q on no member (%v)", store.ErrNotFound, a.id, err)
	}
	if p.SessionID != SessionDAGID(a.id) {
		return nil, fmt.Errorf("%w: fetched DAG of %q for %q", ErrBadEvent, p.SessionID, a.id)
	}
	if err := session.VerifyProof(p); err != nil {
		return nil, err
	}
	var b store.Batch
	for _, n := range p.Nodes {
		b.Put(store.DAGKey(n.Hash()), n.Encode())
	}
	if err := a.cfg.Heads.AddTo(&b, SessionDAGID(a.id), store.Head{Head: p.Head, State: uint8(p.State()), Updated: a.cfg.Now()}); err != nil {
		return nil, err
	}
	if err := a.cfg.Commit.Commit(&b); err != nil {
		return nil, err
	}
	a.cfg.Logger.Info("session DAG adopted from another member", "session", a.id, "nodes", len(p.Nodes), "state", p.State())
	return a.resume()
}

// resume reloads the session DAG from its head record (ErrNotFound when
// the session has none yet).
func (a *liveActor) resume() (*session.Session, error) {
	rec, err := NewHeadStore(a.cfg.Heads).Load(SessionDAGID(a.id))
	if err != nil {
		return nil, err
	}
	return session.Resume(SessionDAGID(a.id), a.buf, rec.Head, rec.Branches...)
}

// undo drops the unwritten nodes and reloads the session from the store.
func (a *liveActor) undo(cause error) error {
	a.buf.reset()
	s, err := a.resume()
	switch {
	case err == nil:
		a.s = s
	case errors.Is(err, store.ErrNotFound):
		a.s = nil
	default:
		panic(fmt.Errorf("session %q: reload after %v: %w", a.id, cause, err))
	}
	return cause
}

// flush writes the new nodes and the head in one synced batch.
func (a *liveActor) flush(now time.Time) error {
	var b store.Batch
	for h, enc := range a.buf.pending {
		b.Put(store.DAGKey([32]byte(h)), enc)
	}
	rec := store.Head{Head: [32]byte(a.s.Head()), State: uint8(a.s.State()), Updated: now}
	for _, t := range a.s.Tips() {
		if t != a.s.Head() {
			rec.Branches = append(rec.Branches, [32]byte(t))
		}
	}
	if err := a.cfg.Heads.AddTo(&b, SessionDAGID(a.id), rec); err != nil {
		return a.undo(err)
	}
	if err := a.cfg.Commit.Commit(&b); err != nil {
		return a.undo(err)
	}
	a.buf.pending = map[session.Hash][]byte{}
	return nil
}

// bufferedNodes is a NodeStore that holds new nodes until flush writes
// them with the head in one batch; reads see them at once.
type bufferedNodes struct {
	d       *store.DAGStore
	pending map[session.Hash][]byte
}

func (n *bufferedNodes) Put(h session.Hash, enc []byte) error {
	n.pending[h] = append([]byte(nil), enc...)
	return nil
}

func (n *bufferedNodes) Get(h session.Hash) ([]byte, error) {
	if b, ok := n.pending[h]; ok {
		return b, nil
	}
	return New(n.d).Get(h)
}

func (n *bufferedNodes) reset() { n.pending = map[session.Hash][]byte{} }
