package durable

import (
	"log/slog"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/store"
	"google.golang.org/protobuf/proto"
)

// Stage is the session step of the request pipeline (it satisfies
// router.Stage): after every result it writes the task's record (a
// five-node Merkle-DAG, see session.RecordTask) to the store in one synced
// batch and attaches the record's proof to the result. The batch goes
// through the store's Committer, so concurrent tasks share fsyncs.
type Stage struct {
	NodeID    string
	Committer *store.Committer
	// Heads indexes records by id (sess/<session id>/<task id>) for
	// `bizra session show`; the head record is written in the same batch.
	Heads  *store.Heads
	Logger *slog.Logger
}

// Name implements router.Stage.
func (s *Stage) Name() string { return "session" }

// Before implements router.Stage.
func (s *Stage) Before(*messages.TaskCard, time.Time) *messages.TaskResult { return nil }

// After implements router.Stage.
func (s *Stage) After(card *messages.TaskCard, res *messages.TaskResult, _ time.Duration, now time.Time) {
	if card.GetId() == "" {
		return
	}
	cardBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(card)
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
	proof := rec.Proof()
	var b store.Batch
	for _, n := range proof.Nodes {
		b.Put(store.DAGKey(n.Hash()), n.Encode())
	}
	if s.Heads != nil {
		if err := s.Heads.AddTo(&b, rec.ID(), store.Head{Head: rec.Head(), State: uint8(rec.State()), Updated: now}); err != nil {
			s.Logger.Error("session record: head", "task", card.GetId(), "error", err)
			return
		}
	}
	if err := s.Committer.Commit(&b); err != nil {
		s.Logger.Error("session record not durable; result goes out without a proof", "task", card.GetId(), "error", err)
		return
	}
	res.SessionId = card.GetSessionId()
	res.Proof = proof.ToProto()
}
