package session

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/bizra/bizra/messages"
)

// A task record is a small session DAG of its own, one per TaskCard, named
// "<session id>/<task id>" (the task id alone when the card names no
// session):
//
//	init (root, binds the record id)
//	→ active     payload: HashPayload of the card's bytes as received
//	→ computing  payload: ComputeDigest of the agent's name and the
//	             pipeline's governance record (gate verdicts, NTU reading)
//	→ validated  payload: ResultDigest of the result
//	→ committed  payload: HashPayload of the node id
//
// Its proof travels in TaskResult.proof; anyone holding the result can
// check the proof (VerifyProof) and that it is about this result
// (ProofCoversResult), offline.

// RecordID names the task record of card.
func RecordID(card *messages.TaskCard) string {
	if card.GetSessionId() == "" {
		return card.GetId()
	}
	return card.GetSessionId() + "/" + card.GetId()
}

// ResultDigest is the payload hash of a result's validated node: BLAKE3
// (via HashPayload) of a length-prefixed encoding of its task id, state,
// output, error code and error message. It does not depend on protobuf's
// encoding, so a result decoded from JSON digests the same.
func ResultDigest(res *messages.TaskResult) Hash {
	var b []byte
	put := func(v []byte) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = append(b, "bizra/task-result/v1"...)
	put([]byte(res.GetTaskId()))
	b = binary.BigEndian.AppendUint32(b, uint32(res.GetState()))
	put(res.GetOutput())
	put([]byte(res.GetErrorCode()))
	put([]byte(res.GetErrorMessage()))
	return HashPayload(b)
}

// ComputeDigest is the payload hash of a result's computing node: BLAKE3
// (via HashPayload) of a length-prefixed encoding of the agent's name and
// the result's governance record, every gate verdict in order (tool,
// verdict, score, threshold, the four FATE dimensions, rule, reason, hook;
// scores as IEEE-754 bits), the NTU reading and, for an llm agent's task,
// the inference route (tier, model, backend, decisions, token counts). Altering a verdict or the
// reading a result carries makes ProofCoversResult fail.
func ComputeDigest(res *messages.TaskResult) Hash {
	var b []byte
	put := func(v string) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v...)
	}
	f64 := func(v float64) { b = binary.BigEndian.AppendUint64(b, math.Float64bits(v)) }
	b = append(b, "bizra/task-compute/v1"...)
	put(res.GetAgent())
	g := res.GetGovernance()
	b = binary.BigEndian.AppendUint32(b, uint32(len(g.GetGate())))
	for _, v := range g.GetGate() {
		put(v.GetTool())
		if v.GetAllowed() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		for _, x := range []float64{v.GetScore(), v.GetThreshold(), v.GetFidelity(), v.GetAccountability(), v.GetTransparency(), v.GetEthics()} {
			f64(x)
		}
		put(v.GetRule())
		put(v.GetReason())
		put(v.GetHook())
	}
	if n := g.GetNtu(); n != nil {
		b = append(b, 1)
		put(n.GetAgent())
		f64(n.GetObservation())
	} else {
		b = append(b, 0)
	}
	if r := g.GetInference(); r != nil {
		b = append(b, 1)
		put(r.GetTier())
		put(r.GetModel())
		put(r.GetBackend())
		b = binary.BigEndian.AppendUint32(b, uint32(len(r.GetDecisions())))
		for _, d := range r.GetDecisions() {
			put(d)
		}
		b = binary.BigEndian.AppendUint32(b, r.GetPromptTokens())
		b = binary.BigEndian.AppendUint32(b, r.GetCompletionTokens())
	}
	return HashPayload(b)
}

// Times are the moments a task record's nodes carry.
type Times struct {
	Received, Started, Finished, Committed time.Time
}

// RecordTask writes the task record of card and res to st and returns its
// proof. cardBytes are the card's bytes as received.
func RecordTask(st NodeStore, card *messages.TaskCard, cardBytes []byte, res *messages.TaskResult, nodeID string, t Times) (*Session, error) {
	s, err := Create(RecordID(card), st, t.Received)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		f  func(Hash, time.Time) (Hash, error)
		p  Hash
		at time.Time
	}{
		{s.Begin, HashPayload(cardBytes), t.Received},
		{s.StartCompute, ComputeDigest(res), latest(t.Received, t.Started)},
		{s.Validate, ResultDigest(res), latest(t.Received, t.Started, t.Finished)},
		{s.Commit, HashPayload([]byte(nodeID)), latest(t.Received, t.Started, t.Finished, t.Committed)},
	}
	for _, st := range steps {
		if _, err := st.f(st.p, st.at); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// AnomalyRecordID names the record of an NTU anomaly raised after a task:
// "<session id>/ntu-<task id>", or "<task id>/ntu" for a task without a
// session, so `bizra session show` lists it beside the task's record.
func AnomalyRecordID(sessionID, taskID string) string {
	if sessionID == "" {
		return taskID + "/ntu"
	}
	return sessionID + "/ntu-" + taskID
}

// RecordEvent writes a committed record of an event the node observed
// after a task (an NTU anomaly), named id:
//
//	init → active     payload: HashPayload of the event's bytes
//	     → computing  payload: HashPayload of the observer's name
//	     → validated  payload: HashPayload of the event's bytes
//	     → committed  payload: HashPayload of the node id
func RecordEvent(st NodeStore, id string, event []byte, observer, nodeID string, now time.Time) (*Session, error) {
	s, err := Create(id, st, now)
	if err != nil {
		return nil, err
	}
	h := HashPayload(event)
	for _, step := range []struct {
		f func(Hash, time.Time) (Hash, error)
		p Hash
	}{{s.Begin, h}, {s.StartCompute, HashPayload([]byte(observer))}, {s.Validate, h}, {s.Commit, HashPayload([]byte(nodeID))}} {
		if _, err := step.f(step.p, now); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// ProofCoversResult checks that p is the committed record of res: it
// verifies, ends committed, names the task, and its validated node holds
// the result's digest.
func ProofCoversResult(p *Proof, res *messages.TaskResult) error {
	if err := VerifyProof(p); err != nil {
		return err
	}
	if p.State() != Committed {
		return fmt.Errorf("%w: proof head is %s, not committed", ErrProof, p.State())
	}
	want, compute := ResultDigest(res), ComputeDigest(res)
	var okResult, okCompute bool
	for _, n := range p.Nodes {
		okResult = okResult || (n.State == Validated && n.PayloadHash == want)
		okCompute = okCompute || (n.State == Computing && n.PayloadHash == compute)
	}
	if !okResult {
		return fmt.Errorf("%w: no validated node holds this result's digest (output, state or error altered?)", ErrProof)
	}
	if !okCompute {
		return fmt.Errorf("%w: no computing node holds this result's agent and governance digest (gate verdicts or NTU reading altered?)", ErrProof)
	}
	return nil
}

// ToProto renders a proof for TaskResult.proof.
func (p *Proof) ToProto() *messages.SessionProof {
	out := &messages.SessionProof{SessionId: p.SessionID, Head: append([]byte(nil), p.Head[:]...)}
	for _, n := range p.Nodes {
		pn := &messages.DagNode{State: uint32(n.State), TimestampNs: n.Timestamp, PayloadHash: append([]byte(nil), n.PayloadHash[:]...)}
		for _, h := range n.Parents {
			pn.Parents = append(pn.Parents, append([]byte(nil), h[:]...))
		}
		out.Nodes = append(out.Nodes, pn)
	}
	return out
}

// ProofFromProto reads a proof from its wire form; sizes are checked here,
// everything else by VerifyProof.
func ProofFromProto(m *messages.SessionProof) (*Proof, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: no proof", ErrProof)
	}
	toHash := func(b []byte, what string) (Hash, error) {
		var h Hash
		if len(b) != HashSize {
			return h, fmt.Errorf("%w: %s is %d bytes, want %d", ErrProof, what, len(b), HashSize)
		}
		copy(h[:], b)
		return h, nil
	}
	p := &Proof{SessionID: m.GetSessionId()}
	var err error
	if p.Head, err = toHash(m.GetHead(), "head"); err != nil {
		return nil, err
	}
	for i, pn := range m.GetNodes() {
		if pn.GetState() > 255 {
			return nil, fmt.Errorf("%w: node %d: state %d", ErrProof, i, pn.GetState())
		}
		n := Node{State: State(pn.GetState()), Timestamp: pn.GetTimestampNs()}
		if n.PayloadHash, err = toHash(pn.GetPayloadHash(), fmt.Sprintf("node %d payload", i)); err != nil {
			return nil, err
		}
		for j, ph := range pn.GetParents() {
			h, err := toHash(ph, fmt.Sprintf("node %d parent %d", i, j))
			if err != nil {
				return nil, err
			}
			n.Parents = append(n.Parents, h)
		}
		p.Nodes = append(p.Nodes, n)
	}
	return p, nil
}
