package durable

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/store"
	"google.golang.org/protobuf/proto"
)

// Stage is the session step of the request pipeline (it satisfies
// router.Stage): after every result it writes the task's record (a
// five-node Merkle-DAG, see session.RecordTask), the record's head, its
// governance (gate verdicts, NTU reading) and its leaf in the session-head
// log to the store in one synced batch, then attaches the record's proof
// to the result. The batch goes through the store's Committer, so
// concurrent tasks share fsyncs.
type Stage struct {
	NodeID    string
	Committer *store.Committer
	// Heads indexes records by id (sess/<session id>/<task id>) for
	// `bizra session show`; the head record is written in the same batch.
	Heads *store.Heads
	// Log, when set, receives every record's committed head.
	Log *HeadLog
	// Link, when set, links each committed record of a card with a
	// session into the session's own DAG (it must not wait: the session
	// actor answers nobody).
	Link func(*messages.SessionAppend)
	// Committed, when set, tells whether a session is committed (closed);
	// its cards are then refused.
	Committed func(sessionID string) bool
	Logger    *slog.Logger
}

// LocalSessions links records through the node's own session supervisor
// (Sessions, at pid) and reads committed sessions from heads.
func LocalSessions(system *actor.ActorSystem, pid *actor.PID, heads *store.Heads) (link func(*messages.SessionAppend), committed func(string) bool) {
	link = func(m *messages.SessionAppend) { system.Root.Send(pid, m) }
	committed = func(id string) bool {
		h, err := heads.Get(SessionDAGID(id))
		return err == nil && session.State(h.State) == session.Committed
	}
	return link, committed
}

// Name implements router.Stage.
func (s *Stage) Name() string { return "session" }

// Before implements router.Stage: a card for a committed session is
// REJECTED with E_SESSION_COMMITTED.
func (s *Stage) Before(card *messages.TaskCard, _ time.Time) *messages.TaskResult {
	if card.GetSessionId() == "" || s.Committed == nil || !s.Committed(card.GetSessionId()) {
		return nil
	}
	return &messages.TaskResult{TaskId: card.GetId(), State: messages.TaskState_TASK_STATE_REJECTED,
		ErrorCode: messages.CodeSessionCommitted, SessionId: card.GetSessionId(), TraceId: card.GetTraceId(),
		ErrorMessage: fmt.Sprintf("session %q is committed (closed) and takes no more tasks", card.GetSessionId())}
}

// After implements router.Stage.
func (s *Stage) After(card *messages.TaskCard, res *messages.TaskResult, _ time.Duration, now time.Time) {
	if card.GetId() == "" {
		return
	}
	// The card as received: the pipeline's governance is recorded on its
	// own (computing node), not as part of what the sender sent.
	sent := proto.Clone(card).(*messages.TaskCard)
	sent.Governance = nil
	cardBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(sent)
	if err != nil {
		s.Logger.Error("session record: encode card", "task", card.GetId(), "error", err)
		return
	}
	tm := res.GetTimings()
	t := session.Times{Received: tm.GetReceivedAt().AsTime(), Started: tm.GetStartedAt().AsTime(),
		Finished: tm.GetFinishedAt().AsTime(), Committed: now}
	if tm.GetReceivedAt() == nil {
		t.Received = now
	}
	mem := session.NewMemStore()
	rec, err := session.RecordTask(mem, card, cardBytes, res, s.NodeID, t)
	if err != nil {
		s.Logger.Error("session record", "task", card.GetId(), "error", err)
		return
	}
	if err := s.commit(rec, res.GetGovernance(), now); err != nil {
		s.Logger.Error("session record not durable; result goes out without a proof", "task", card.GetId(), "error", err)
		return
	}
	res.SessionId = card.GetSessionId()
	res.Proof = rec.Proof().ToProto()
	if s.Link != nil && card.GetSessionId() != "" {
		h := rec.Head()
		s.Link(&messages.SessionAppend{SessionId: card.GetSessionId(), RecordId: rec.ID(), RecordHead: h[:]})
	}
}

// RecordAnomaly records an NTU anomaly raised after a task as a committed
// record of its own (session.RecordEvent, named session.AnomalyRecordID),
// with the anomaly as the record's governance, in one synced batch like a
// task record (head, governance, log leaf).
func (s *Stage) RecordAnomaly(a *messages.NtuAnomaly, now time.Time) error {
	if a.GetTaskId() == "" {
		return fmt.Errorf("%w: anomaly names no task", ErrBadEvent)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(a)
	if err != nil {
		return err
	}
	rec, err := session.RecordEvent(session.NewMemStore(), session.AnomalyRecordID(a.GetSessionId(), a.GetTaskId()), data,
		"ntu/"+a.GetAgent(), s.NodeID, now)
	if err != nil {
		return err
	}
	return s.commit(rec, &messages.Governance{Anomaly: a}, now)
}

// commit writes a committed record: its nodes, head, governance and log
// leaf, in one synced batch.
func (s *Stage) commit(rec *session.Session, gov *messages.Governance, now time.Time) error {
	var b store.Batch
	for _, n := range rec.Proof().Nodes {
		b.Put(store.DAGKey(n.Hash()), n.Encode())
	}
	if s.Heads != nil {
		if err := s.Heads.AddTo(&b, rec.ID(), store.Head{Head: rec.Head(), State: uint8(rec.State()), Updated: now}); err != nil {
			return err
		}
	}
	if gov != nil {
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(gov)
		if err != nil {
			return err
		}
		b.Put(store.Key(store.PrefixGov, rec.ID()), data)
	}
	if s.Log == nil {
		return s.Committer.Commit(&b)
	}
	entry := session.EntryFor(rec, now)
	leaf, err := s.Log.Reserve(&b, rec.ID(), entry)
	if err != nil {
		return err
	}
	err = s.Committer.Commit(&b)
	s.Log.Done(leaf, entry, err)
	return err
}
