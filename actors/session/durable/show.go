package durable

import (
	"errors"
	"strings"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/store"
	"google.golang.org/protobuf/proto"
)

// TaskRecord is one task record of a session as the node keeps it.
type TaskRecord struct {
	ID    string
	Proof *session.Proof
	// Governance is what the pipeline decided (nil when none was kept).
	Governance *messages.Governance
	// Receipt proves the record's head is in the session-head log under a
	// signed checkpoint (nil when no checkpoint covers it yet).
	Receipt *session.Receipt
}

// Reader reads a node's task records.
type Reader struct {
	DB    *store.Store
	Heads *store.Heads
	Nodes NodeStore
	// Log, when set, adds receipts.
	Log *HeadLog
	// NodeKey is the node's key id, which signs the log's checkpoints.
	NodeKey string
}

// Show returns a session's task records: the record named id itself (a
// task sent without a session) and every record "<id>/<task>".
func (r Reader) Show(id string) ([]TaskRecord, error) {
	var out []TaskRecord
	add := func(recID string, h store.Head) error {
		s, err := session.Resume(recID, r.Nodes, session.Hash(h.Head))
		if err != nil {
			return err
		}
		rec := TaskRecord{ID: recID, Proof: s.Proof()}
		if r.DB != nil {
			data, err := r.DB.Get(store.Key(store.PrefixGov, recID))
			switch {
			case err == nil:
				g := &messages.Governance{}
				if err := proto.Unmarshal(data, g); err != nil {
					return err
				}
				rec.Governance = g
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		if r.Log != nil {
			rc, err := r.Log.Receipt(recID)
			switch {
			case err == nil:
				rec.Receipt = rc
			case !errors.Is(err, ErrLogRange) && !errors.Is(err, ErrNotLogged):
				return err
			}
		}
		out = append(out, rec)
		return nil
	}
	if h, err := r.Heads.Get(id); err == nil {
		if err := add(id, h); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	err := r.Heads.ScanPrefix(id+"/", func(recID string, h store.Head) error {
		if strings.Contains(recID[len(id)+1:], "/") {
			return nil
		}
		return add(recID, h)
	})
	return out, err
}

// ShowMessage renders Show for the wire.
func (r Reader) ShowMessage(id, nodeID string) *messages.SessionRecords {
	out := &messages.SessionRecords{SessionId: id, NodeId: nodeID, NodeKey: r.NodeKey}
	recs, err := r.Show(id)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	for _, rec := range recs {
		out.Records = append(out.Records, rec.Proof.ToProto())
		g := rec.Governance
		if g == nil {
			g = &messages.Governance{}
		}
		out.Governance = append(out.Governance, g)
		receipt := ""
		if rec.Receipt != nil {
			if data, err := rec.Receipt.MarshalJSON(); err == nil {
				receipt = string(data)
			}
		}
		out.Receipts = append(out.Receipts, receipt)
	}
	return out
}
