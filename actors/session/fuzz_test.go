package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func FuzzDecodeNode(f *testing.F) {
	for _, n := range fullSession(f).Proof().Nodes {
		f.Add(n.Encode())
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		// Only canonical encodings decode: re-encoding gives the input.
		if !bytes.Equal(n.Encode(), b) {
			t.Fatalf("decoded a non-canonical encoding %x", b)
		}
	})
}

func FuzzDecodeProofJSON(f *testing.F) {
	good, _ := json.Marshal(fullSession(f).Proof())
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"bizra.session.proof/v1","session_id":"s","head":"00","nodes":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeProofJSON(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		verr := VerifyProof(p)
		// A decoded proof re-encodes to JSON that decodes to the same proof.
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := DecodeProofJSON(out)
		if err != nil {
			t.Fatalf("re-encoded proof does not decode: %v", err)
		}
		if q.SessionID != p.SessionID || q.Head != p.Head || len(q.Nodes) != len(p.Nodes) {
			t.Fatal("re-encoded proof differs")
		}
		for i := range p.Nodes {
			if p.Nodes[i].Hash() != q.Nodes[i].Hash() {
				t.Fatalf("node %d differs after re-encoding", i)
			}
		}
		if (VerifyProof(q) == nil) != (verr == nil) {
			t.Fatal("verification result changed after re-encoding")
		}
	})
}

func FuzzDecodeLogEntry(f *testing.F) {
	f.Add(LogEntry{SessionID: "s", Head: Hash{1}, State: Active, Timestamp: 5}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeLogEntry(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Encode(), b) {
			t.Fatalf("decoded a non-canonical entry %x", b)
		}
	})
}

func FuzzDecodeReceiptJSON(f *testing.F) {
	r, _, _ := receiptFixture(f)
	good, _ := json.Marshal(r)
	f.Add(good)
	f.Add([]byte(`{"format":"bizra.session.receipt/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReceiptJSON(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		q, err := DecodeReceiptJSON(out)
		if err != nil {
			t.Fatalf("re-encoded receipt does not decode: %v", err)
		}
		if q.Entry != r.Entry || q.Index != r.Index || q.Checkpoint.SignedMessage() == nil ||
			!bytes.Equal(q.Checkpoint.SignedMessage(), r.Checkpoint.SignedMessage()) || len(q.Path) != len(r.Path) {
			t.Fatal("re-encoded receipt differs")
		}
	})
}
