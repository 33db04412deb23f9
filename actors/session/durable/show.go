package durable

import (
	"errors"
	"strings"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/store"
)

// Show returns the proofs of a session's task records: the record named id
// itself (a task sent without a session) and every record "<id>/<task>".
func Show(heads *store.Heads, nodes NodeStore, id string) ([]*session.Proof, error) {
	var out []*session.Proof
	add := func(recID string, h store.Head) error {
		s, err := session.Resume(recID, nodes, session.Hash(h.Head))
		if err != nil {
			return err
		}
		out = append(out, s.Proof())
		return nil
	}
	if h, err := heads.Get(id); err == nil {
		if err := add(id, h); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	err := heads.ScanPrefix(id+"/", func(recID string, h store.Head) error {
		if strings.Contains(recID[len(id)+1:], "/") {
			return nil
		}
		return add(recID, h)
	})
	return out, err
}

// ShowMessage renders Show for the wire.
func ShowMessage(heads *store.Heads, nodes NodeStore, id, nodeID string) *messages.SessionRecords {
	out := &messages.SessionRecords{SessionId: id, NodeId: nodeID}
	proofs, err := Show(heads, nodes, id)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	for _, p := range proofs {
		out.Records = append(out.Records, p.ToProto())
	}
	return out
}
