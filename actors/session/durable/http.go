package durable

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/encoding/protojson"
)

// CheckpointJSON is the JSON form of a signed checkpoint served by
// GET /v1/log/checkpoint: hashes and the signature in lower-case hex, the
// time in RFC 3339, and the signer's key id.
type CheckpointJSON struct {
	Origin    string `json:"origin"`
	Size      uint64 `json:"size"`
	Root      string `json:"root"`
	Timestamp string `json:"timestamp"`
	Signature string `json:"signature"`
	Key       string `json:"key"`
}

// ConsistencyJSON answers GET /v1/log/consistency?from=N: the latest
// checkpoint and the RFC 9162 consistency proof from size N to it.
type ConsistencyJSON struct {
	From       uint64         `json:"from"`
	Checkpoint CheckpointJSON `json:"checkpoint"`
	Proof      []string       `json:"proof"`
}

// EncodeCheckpoint renders sc signed by pub.
func EncodeCheckpoint(sc session.SignedCheckpoint, pub ed25519.PublicKey) CheckpointJSON {
	return CheckpointJSON{Origin: sc.Origin, Size: sc.Size, Root: sc.Root.String(),
		Timestamp: time.Unix(0, sc.Timestamp).UTC().Format(time.RFC3339Nano),
		Signature: hex.EncodeToString(sc.Signature), Key: pci.PublicKeyID(pub)}
}

// Decode parses the checkpoint back; the caller verifies it
// (session.VerifyCheckpoint) with a key it trusts.
func (c CheckpointJSON) Decode() (session.SignedCheckpoint, error) {
	var sc session.SignedCheckpoint
	root, err := session.ParseHash(c.Root)
	if err != nil {
		return sc, err
	}
	t, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	if err != nil {
		return sc, err
	}
	sig, err := hex.DecodeString(c.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return sc, fmt.Errorf("%w: checkpoint signature", ErrLogCorrupt)
	}
	sc.Origin, sc.Size, sc.Root, sc.Timestamp, sc.Signature = c.Origin, c.Size, root, t.UnixNano(), sig
	return sc, nil
}

// DecodeProof parses a consistency proof.
func (c ConsistencyJSON) DecodeProof() ([]session.Hash, error) {
	out := make([]session.Hash, 0, len(c.Proof))
	for _, s := range c.Proof {
		h, err := session.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// Mount adds the log's and the records' read endpoints:
//
//	GET /v1/log/checkpoint             latest signed checkpoint (CheckpointJSON)
//	GET /v1/log/consistency?from=N     ConsistencyJSON
//	GET /v1/sessions/{id}              the session's records (protojson SessionRecords, show(id))
func Mount(handle func(pattern string, h http.Handler), l *HeadLog, pub ed25519.PublicKey, show func(id string) *messages.SessionRecords) {
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(w http.ResponseWriter, status int, err error) {
		writeJSON(w, status, map[string]string{"error": err.Error()})
	}
	handle("GET /v1/log/checkpoint", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sc := l.Latest()
		if sc.Size == 0 {
			fail(w, http.StatusNotFound, fmt.Errorf("%w: no checkpoint signed yet", ErrLogRange))
			return
		}
		writeJSON(w, http.StatusOK, EncodeCheckpoint(sc, pub))
	}))
	handle("GET /v1/log/consistency", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		from, err := strconv.ParseUint(req.URL.Query().Get("from"), 10, 64)
		if err != nil {
			fail(w, http.StatusBadRequest, fmt.Errorf("%w: from must be a positive size", ErrLogRange))
			return
		}
		sc, proof, err := l.Consistency(from)
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, ErrLogRange) {
				status = http.StatusBadRequest
			}
			fail(w, status, err)
			return
		}
		out := ConsistencyJSON{From: from, Checkpoint: EncodeCheckpoint(sc, pub), Proof: []string{}}
		for _, h := range proof {
			out.Proof = append(out.Proof, h.String())
		}
		writeJSON(w, http.StatusOK, out)
	}))
	handle("GET /v1/sessions/{id...}", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		recs := show(req.PathValue("id"))
		status := http.StatusOK
		n := len(recs.GetRecords())
		for _, m := range recs.GetMembers() {
			n += len(m.GetRecords())
		}
		switch {
		case recs.GetError() != "":
			status = http.StatusInternalServerError
		case n == 0:
			status = http.StatusNotFound
		}
		data, _ := protojson.Marshal(recs)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(data)
	}))
}
