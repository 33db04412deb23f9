package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDAGStore(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDAGStore(s, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil committer: %v", err)
	}
	d, err := NewDAGStore(s, c)
	if err != nil {
		t.Fatal(err)
	}
	var hs [][32]byte
	for i := range 20 {
		enc := fmt.Appendf(nil, "node %d", i)
		h := sha256.Sum256(enc)
		hs = append(hs, h)
		if err := d.Put(h, enc); err != nil {
			t.Fatal(err)
		}
	}
	h0 := hs[0]
	if k := string(DAGKey(h0)); !strings.HasPrefix(k, "dag/") || len(k) != 4+64 || strings.ToLower(k) != k {
		t.Fatalf("DAGKey = %q", k)
	}
	missing := sha256.Sum256([]byte("missing"))
	if _, err := d.Get(missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if ok, _ := d.Has(missing); ok {
		t.Fatal("Has(missing)")
	}
	// Reopen and read everything back (durability across a crash is
	// checked by TestCrashKeepsAcknowledgedWrites).
	c.Stop()
	s.Close()
	s = openAt(t, dir)
	c, _ = s.NewCommitter()
	d, _ = NewDAGStore(s, c)
	for i, h := range hs {
		got, err := d.Get(h)
		if err != nil || string(got) != fmt.Sprintf("node %d", i) {
			t.Fatalf("node %d: %q, %v", i, got, err)
		}
	}
	var prev [32]byte
	n := 0
	err = d.Scan(func(h [32]byte, enc []byte) error {
		if n > 0 && bytes.Compare(prev[:], h[:]) >= 0 {
			t.Errorf("scan not ascending")
		}
		if sha256.Sum256(enc) != h {
			t.Errorf("scan: value does not match its hash")
		}
		prev = h
		n++
		return nil
	})
	if err != nil || n != len(hs) {
		t.Fatalf("scan: %v, %d nodes", err, n)
	}
	// A malformed dag/ key is reported, not skipped.
	s.Put([]byte("dag/zz"), nil, NoSync)
	if err := d.Scan(func([32]byte, []byte) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestHeads(t *testing.T) {
	s := openTest(t)
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	hs, err := NewHeads(s, c)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 4, 0, 0, 123, time.UTC)
	want := Head{Head: sha256.Sum256([]byte("h")), State: 5, Updated: now,
		Branches: [][32]byte{sha256.Sum256([]byte("b1")), sha256.Sum256([]byte("b2"))}}
	if err := hs.Put("s-1", want); err != nil {
		t.Fatal(err)
	}
	if err := hs.Put("s-2", Head{State: 2, Updated: now}); err != nil {
		t.Fatal(err)
	}
	got, err := hs.Get("s-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Head != want.Head || got.State != 5 || !got.Updated.Equal(now) || len(got.Branches) != 2 || got.Branches[1] != want.Branches[1] {
		t.Fatalf("Get = %+v", got)
	}
	if raw, _ := s.Get([]byte("sess/s-1")); len(raw) != 44+64 {
		t.Fatalf("record length %d", len(raw))
	}
	var ids []string
	if err := hs.Scan(func(id string, h Head) error { ids = append(ids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[s-1 s-2]" {
		t.Fatalf("Scan ids %v", ids)
	}
	if err := hs.Delete("s-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := hs.Get("s-2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := hs.Put("", want); err == nil {
		t.Fatal("empty id accepted")
	}
	if err := hs.Put(strings.Repeat("x", MaxSessionIDLen+1), want); err == nil {
		t.Fatal("long id accepted")
	}
	// Every truncation and a bad version are rejected.
	raw, _ := s.Get([]byte("sess/s-1"))
	for n := range len(raw) {
		if _, err := decodeHead(raw[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if _, err := decodeHead(append(raw, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatal("trailing byte accepted")
	}
	bad := append([]byte{2}, raw[1:]...)
	if _, err := decodeHead(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatal("version 2 accepted")
	}
}

func TestHeadsAddToBatchAndScanPrefix(t *testing.T) {
	s := openTest(t)
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	hs, err := NewHeads(s, c)
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	for _, id := range []string{"a/1", "a/2", "ab/1", "b/1"} {
		if err := hs.AddTo(&b, id, Head{Head: sha256.Sum256([]byte(id)), State: 5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := hs.AddTo(&b, "", Head{}); err == nil {
		t.Fatal("empty id accepted")
	}
	if err := c.Commit(&b); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := hs.ScanPrefix("a/", func(id string, h Head) error {
		if h.Head != sha256.Sum256([]byte(id)) {
			t.Errorf("%s: wrong head", id)
		}
		got = append(got, id)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a/1,a/2" {
		t.Fatalf("prefix scan got %v", got)
	}
}
