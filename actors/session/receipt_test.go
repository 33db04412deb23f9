package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// receiptFixture logs the heads of several sessions, the last being
// fullSession's committed head, and returns its receipt and proof.
func receiptFixture(t testing.TB) (*Receipt, *Proof, *Log) {
	t.Helper()
	_, priv := testKey(1)
	s := fullSession(t)
	l := &Log{}
	for i := range 6 {
		l.AppendEntry(LogEntry{SessionID: "other", Head: Hash{byte(i)}, State: Active, Timestamp: int64(i)})
	}
	e := EntryFor(s, at(8))
	idx := l.AppendEntry(e)
	l.AppendEntry(LogEntry{SessionID: "later", Head: Hash{9}, State: Active, Timestamp: 9})
	sc := SignCheckpoint(priv, l.Checkpoint("node-a", at(9)))
	r, err := l.Receipt(e, idx, sc)
	if err != nil {
		t.Fatal(err)
	}
	return r, s.Proof(), l
}

func TestReceipt(t *testing.T) {
	pub, _ := testKey(1)
	otherPub, _ := testKey(2)
	r, p, l := receiptFixture(t)
	if err := VerifyReceiptFor(pub, r, p); err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceipt(otherPub, r); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("other key: %v", err)
	}
	other := fullSession(t).Proof()
	other.SessionID = "x"
	if err := VerifyReceiptFor(pub, r, other); !errors.Is(err, ErrLogProof) {
		t.Fatalf("receipt for another proof: %v", err)
	}
	if _, err := l.Receipt(r.Entry, r.Index+1, r.Checkpoint); !errors.Is(err, ErrLogRange) {
		t.Fatalf("receipt at the wrong index: %v", err)
	}
	if err := VerifyReceipt(pub, nil); !errors.Is(err, ErrLogProof) {
		t.Fatal(err)
	}
}

func TestReceiptJSON(t *testing.T) {
	pub, _ := testKey(1)
	r, p, _ := receiptFixture(t)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeReceiptJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceiptFor(pub, q, p); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(q)
	if !bytes.Equal(b, b2) {
		t.Fatal("receipt JSON round trip is not stable")
	}
	// Any changed byte makes decoding or verification fail.
	for i := range b {
		for _, mask := range []byte{0x01, 0x20} {
			f := bytes.Clone(b)
			f[i] ^= mask
			q, err := DecodeReceiptJSON(f)
			if err == nil {
				err = VerifyReceiptFor(pub, q, p)
			}
			if err == nil {
				t.Fatalf("byte %d (%q) ^ %#x: tampered receipt accepted", i, b[i], mask)
			}
		}
	}
	g := string(b)
	for name, in := range map[string]string{
		"trailing":  g + "1",
		"unknown":   strings.Replace(g, `"index"`, `"idx":1,"index"`, 1),
		"case":      strings.Replace(g, `"index"`, `"Index"`, 1),
		"duplicate": strings.Replace(g, `"index"`, `"path":[],"index"`, 1),
		"no path":   strings.Replace(g, `"path":`, `"path_":`, 1),
		"short sig": strings.Replace(g, `"signature":"`, `"signature":"00`, 1),
		"format":    strings.Replace(g, ReceiptFormat, "x", 1),
	} {
		if in == g {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if _, err := DecodeReceiptJSON([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
