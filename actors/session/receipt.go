package session

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Receipt shows that a session head was recorded in a head log: the log
// entry, its leaf index, the inclusion path and the signed checkpoint of
// the tree the path leads to.
type Receipt struct {
	Entry      LogEntry
	Index      uint64
	Path       []Hash
	Checkpoint SignedCheckpoint
}

// Receipt builds the receipt of leaf index, which must hold entry, under
// the signed checkpoint sc of this log.
func (l *Log) Receipt(entry LogEntry, index uint64, sc SignedCheckpoint) (*Receipt, error) {
	leaf, err := l.LeafHashAt(index)
	if err != nil {
		return nil, err
	}
	if leaf != LeafHash(entry.Encode()) {
		return nil, fmt.Errorf("%w: leaf %d does not hold the entry", ErrLogRange, index)
	}
	path, err := l.InclusionProof(index, sc.Size)
	if err != nil {
		return nil, err
	}
	return &Receipt{Entry: entry, Index: index, Path: path, Checkpoint: sc}, nil
}

// VerifyReceipt checks the checkpoint's signature under pub and the
// entry's inclusion in its tree.
func VerifyReceipt(pub ed25519.PublicKey, r *Receipt) error {
	if r == nil {
		return fmt.Errorf("%w: nil receipt", ErrLogProof)
	}
	return VerifyEntryInclusion(pub, r.Checkpoint, r.Entry, r.Index, r.Path)
}

// VerifyReceiptFor checks the receipt (VerifyReceipt) and that it records
// the head of proof p, which VerifyProof should have accepted.
func VerifyReceiptFor(pub ed25519.PublicKey, r *Receipt, p *Proof) error {
	if err := VerifyReceipt(pub, r); err != nil {
		return err
	}
	if r.Entry.SessionID != p.SessionID || r.Entry.Head != p.Head || r.Entry.State != p.State() {
		return fmt.Errorf("%w: receipt records session %q head %s (%s), proof has %q head %s (%s)", ErrLogProof,
			r.Entry.SessionID, r.Entry.Head, r.Entry.State, p.SessionID, p.Head, p.State())
	}
	return nil
}

// ReceiptFormat is the "format" member of a JSON receipt.
const ReceiptFormat = "bizra.session.receipt/v1"

// JSON form of a receipt (hashes and the signature in lower-case hex,
// times in RFC 3339 with nanoseconds):
//
//	{"format": "bizra.session.receipt/v1",
//	 "entry": {"session_id": "s-1", "head": "<hex>", "state": "committed", "timestamp": "..."},
//	 "index": 41, "path": ["<hex>", ...],
//	 "checkpoint": {"origin": "node-a", "size": 42, "root": "<hex>", "timestamp": "...", "signature": "<128 hex>"}}
type jsonReceipt struct {
	Format     string          `json:"format"`
	Entry      *jsonEntry      `json:"entry"`
	Index      *uint64         `json:"index"`
	Path       []Hash          `json:"path"`
	Checkpoint *jsonCheckpoint `json:"checkpoint"`
}

type jsonEntry struct {
	SessionID string  `json:"session_id"`
	Head      *Hash   `json:"head"`
	State     *State  `json:"state"`
	Timestamp *string `json:"timestamp"`
}

type jsonCheckpoint struct {
	Origin    string  `json:"origin"`
	Size      *uint64 `json:"size"`
	Root      *Hash   `json:"root"`
	Timestamp *string `json:"timestamp"`
	Signature *string `json:"signature"`
}

var receiptKeys = map[string]bool{
	"format": true, "entry": true, "index": true, "path": true, "checkpoint": true,
	"session_id": true, "head": true, "state": true, "timestamp": true,
	"origin": true, "size": true, "root": true, "signature": true,
}

func formatNanos(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

func parseNanos(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("%s outside the encodable range", s)
	}
	return t.UnixNano(), nil
}

// MarshalJSON encodes the receipt in the JSON form above.
func (r *Receipt) MarshalJSON() ([]byte, error) {
	ets, cts := formatNanos(r.Entry.Timestamp), formatNanos(r.Checkpoint.Timestamp)
	sig := hex.EncodeToString(r.Checkpoint.Signature)
	path := r.Path
	if path == nil {
		path = []Hash{}
	}
	st := r.Entry.State
	return json.Marshal(jsonReceipt{
		Format: ReceiptFormat,
		Entry:  &jsonEntry{SessionID: r.Entry.SessionID, Head: &r.Entry.Head, State: &st, Timestamp: &ets},
		Index:  &r.Index,
		Path:   path,
		Checkpoint: &jsonCheckpoint{Origin: r.Checkpoint.Origin, Size: &r.Checkpoint.Size, Root: &r.Checkpoint.Root,
			Timestamp: &cts, Signature: &sig},
	})
}

// UnmarshalJSON decodes strictly; see DecodeReceiptJSON.
func (r *Receipt) UnmarshalJSON(b []byte) error {
	q, err := DecodeReceiptJSON(b)
	if err != nil {
		return err
	}
	*r = *q
	return nil
}

func badReceipt(format string, args ...any) error {
	return fmt.Errorf("%w: receipt JSON: "+format, append([]any{ErrMalformed}, args...)...)
}

// DecodeReceiptJSON decodes one JSON receipt and nothing else, rejecting
// unknown, misspelt, duplicate or missing members, trailing data and
// malformed values with an error wrapping ErrMalformed. It does not verify
// the receipt: call VerifyReceipt.
func DecodeReceiptJSON(b []byte) (*Receipt, error) {
	if len(b) > MaxProofJSON {
		return nil, badReceipt("%d bytes, at most %d", len(b), MaxProofJSON)
	}
	if err := checkKeys(b, receiptKeys); err != nil {
		return nil, badReceipt("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var jr jsonReceipt
	if err := dec.Decode(&jr); err != nil {
		return nil, badReceipt("%v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badReceipt("trailing data after the receipt object")
	}
	switch {
	case jr.Format != ReceiptFormat:
		return nil, badReceipt("format %q, want %q", jr.Format, ReceiptFormat)
	case jr.Entry == nil || jr.Entry.Head == nil || jr.Entry.State == nil || jr.Entry.Timestamp == nil:
		return nil, badReceipt("missing entry or one of its members")
	case jr.Index == nil || jr.Path == nil:
		return nil, badReceipt("missing index or path")
	case jr.Checkpoint == nil || jr.Checkpoint.Size == nil || jr.Checkpoint.Root == nil ||
		jr.Checkpoint.Timestamp == nil || jr.Checkpoint.Signature == nil:
		return nil, badReceipt("missing checkpoint or one of its members")
	case len(jr.Path) > 64:
		return nil, badReceipt("path of %d hashes, at most 64", len(jr.Path))
	}
	if err := checkID(jr.Entry.SessionID); err != nil {
		return nil, badReceipt("entry session_id: %v", err)
	}
	ets, err := parseNanos(*jr.Entry.Timestamp)
	if err != nil {
		return nil, badReceipt("entry timestamp: %v", err)
	}
	cts, err := parseNanos(*jr.Checkpoint.Timestamp)
	if err != nil {
		return nil, badReceipt("checkpoint timestamp: %v", err)
	}
	sig := *jr.Checkpoint.Signature
	if len(sig) != 2*ed25519.SignatureSize || !isLowerHex(sig) {
		return nil, badReceipt("signature is not %d lower-case hex digits", 2*ed25519.SignatureSize)
	}
	sigb, _ := hex.DecodeString(sig)
	return &Receipt{
		Entry: LogEntry{SessionID: jr.Entry.SessionID, Head: *jr.Entry.Head, State: *jr.Entry.State, Timestamp: ets},
		Index: *jr.Index,
		Path:  jr.Path,
		Checkpoint: SignedCheckpoint{
			Checkpoint: Checkpoint{Origin: jr.Checkpoint.Origin, Size: *jr.Checkpoint.Size, Root: *jr.Checkpoint.Root, Timestamp: cts},
			Signature:  sigb,
		},
	}, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
