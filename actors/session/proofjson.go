package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ProofFormat is the "format" member of a JSON proof.
const ProofFormat = "bizra.session.proof/v1"

// MaxProofJSON bounds the size of a JSON proof accepted by DecodeProofJSON.
const MaxProofJSON = 64 << 20

// JSON form of a proof:
//
//	{
//	  "format": "bizra.session.proof/v1",
//	  "session_id": "s-1",
//	  "head": "<64 hex>",
//	  "nodes": [
//	    {"hash": "<64 hex>", "state": "init", "timestamp": "2026-01-02T03:04:05.000000006Z",
//	     "parents": [], "payload_hash": "<64 hex>"},
//	    ...
//	  ]
//	}
//
// Hashes are lower-case hex. "timestamp" is RFC 3339 with nanoseconds; the
// node hash covers its Unix nanoseconds, so any offset denoting the same
// instant decodes to the same node. "hash" is the node hash; it is
// redundant and checked on decoding, so a change to a node is reported at
// that node.
type jsonProof struct {
	Format    string     `json:"format"`
	SessionID string     `json:"session_id"`
	Head      *Hash      `json:"head"`
	Nodes     []jsonNode `json:"nodes"`
}

type jsonNode struct {
	Hash        *Hash   `json:"hash"`
	State       *State  `json:"state"`
	Timestamp   *string `json:"timestamp"`
	Parents     []Hash  `json:"parents"`
	PayloadHash *Hash   `json:"payload_hash"`
}

// proofKeys are the member names of a JSON proof. encoding/json matches
// names case-insensitively and keeps the last of duplicate members;
// checkKeys rejects both, so a proof has exactly one JSON spelling of each
// member.
var proofKeys = map[string]bool{
	"format": true, "session_id": true, "head": true, "nodes": true,
	"hash": true, "state": true, "timestamp": true, "parents": true, "payload_hash": true,
}

// checkKeys walks the JSON tokens and checks every object member name is
// one of keys, spelled exactly, at most once per object.
func checkKeys(b []byte, keys map[string]bool) error {
	type frame struct {
		object  bool
		wantKey bool
		seen    map[string]bool
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		top := (*frame)(nil)
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			if !keys[key] {
				return fmt.Errorf("unknown member %q", key)
			}
			if top.seen[key] {
				return fmt.Errorf("duplicate member %q", key)
			}
			top.seen[key] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true, seen: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// MarshalJSON encodes the proof in the JSON form above.
func (p *Proof) MarshalJSON() ([]byte, error) {
	jp := jsonProof{Format: ProofFormat, SessionID: p.SessionID, Head: &p.Head, Nodes: make([]jsonNode, len(p.Nodes))}
	for i, n := range p.Nodes {
		h, st, pl := n.Hash(), n.State, n.PayloadHash
		ts := n.Time().Format(time.RFC3339Nano)
		parents := n.Parents
		if parents == nil {
			parents = []Hash{}
		}
		jp.Nodes[i] = jsonNode{Hash: &h, State: &st, Timestamp: &ts, Parents: parents, PayloadHash: &pl}
	}
	return json.Marshal(jp)
}

// UnmarshalJSON decodes strictly; see DecodeProofJSON.
func (p *Proof) UnmarshalJSON(b []byte) error {
	q, err := DecodeProofJSON(b)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: proof JSON: "+format, append([]any{ErrMalformed}, args...)...)
}

// DecodeProofJSON decodes one JSON proof and nothing else. It rejects,
// with an error wrapping ErrMalformed that says where: input over
// MaxProofJSON, invalid JSON, unknown or missing members, trailing data, a
// wrong format string, malformed hashes, states or timestamps, more than
// MaxParents parents or MaxProofNodes nodes, parents not strictly
// ascending, and a node whose "hash" does not match its contents (that
// error also wraps ErrProof). It does not verify the lineage: call
// VerifyProof.
func DecodeProofJSON(b []byte) (*Proof, error) {
	if len(b) > MaxProofJSON {
		return nil, malformed("%d bytes, at most %d", len(b), MaxProofJSON)
	}
	if err := checkKeys(b, proofKeys); err != nil {
		return nil, malformed("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var jp jsonProof
	if err := dec.Decode(&jp); err != nil {
		return nil, malformed("%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, malformed("trailing data after the proof object")
	}
	if jp.Format != ProofFormat {
		return nil, malformed("format %q, want %q", jp.Format, ProofFormat)
	}
	if err := checkID(jp.SessionID); err != nil {
		return nil, malformed("session_id: %v", err)
	}
	if jp.Head == nil {
		return nil, malformed("missing head")
	}
	if len(jp.Nodes) == 0 || len(jp.Nodes) > MaxProofNodes {
		return nil, malformed("%d nodes, want 1..%d", len(jp.Nodes), MaxProofNodes)
	}
	p := &Proof{SessionID: jp.SessionID, Head: *jp.Head, Nodes: make([]Node, len(jp.Nodes))}
	for i, jn := range jp.Nodes {
		switch {
		case jn.Hash == nil:
			return nil, malformed("node %d: missing hash", i)
		case jn.State == nil:
			return nil, malformed("node %d: missing state", i)
		case jn.Timestamp == nil:
			return nil, malformed("node %d: missing timestamp", i)
		case jn.Parents == nil:
			return nil, malformed("node %d: missing parents", i)
		case jn.PayloadHash == nil:
			return nil, malformed("node %d: missing payload_hash", i)
		}
		t, err := time.Parse(time.RFC3339Nano, *jn.Timestamp)
		if err != nil {
			return nil, malformed("node %d: timestamp: %v", i, err)
		}
		if t.Before(minTime) || t.After(maxTime) {
			return nil, malformed("node %d: timestamp %s outside the encodable range", i, *jn.Timestamp)
		}
		n := Node{State: *jn.State, Timestamp: t.UnixNano(), PayloadHash: *jn.PayloadHash}
		if len(jn.Parents) > 0 {
			n.Parents = jn.Parents
		}
		if err := n.checkShape(); err != nil {
			return nil, malformed("node %d: %v", i, err)
		}
		if h := n.Hash(); h != *jn.Hash {
			return nil, fmt.Errorf("%w: %w: node %d: contents hash to %s, declared hash is %s", ErrMalformed, ErrProof, i, h, *jn.Hash)
		}
		p.Nodes[i] = n
	}
	return p, nil
}
