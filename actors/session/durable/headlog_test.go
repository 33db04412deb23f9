package durable

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/store"
)

func openLog(t *testing.T, dir string, key ed25519.PrivateKey) (*store.Store, *store.Committer, *HeadLog) {
	t.Helper()
	s, err := store.Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	l, err := OpenHeadLog(s, c, key, "node-a")
	if err != nil {
		t.Fatal(err)
	}
	return s, c, l
}

func entry(i int) session.LogEntry {
	return session.LogEntry{SessionID: fmt.Sprintf("s/%d", i), Head: session.HashPayload([]byte{byte(i)}), State: session.Committed,
		Timestamp: int64(i)}
}

func appendEntries(t *testing.T, c *store.Committer, l *HeadLog, from, to int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := from; i < to; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b store.Batch
			e := entry(i)
			idx, err := l.Reserve(&b, e.SessionID, e)
			if err != nil {
				t.Error(err)
				return
			}
			err = c.Commit(&b)
			l.Done(idx, e, err)
		}()
	}
	wg.Wait()
}

func TestHeadLogCheckpointsStayConsistentAcrossReopen(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pub := key.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	s, c, l := openLog(t, dir, key)
	appendEntries(t, c, l, 0, 37)
	if l.Size() != 37 {
		t.Fatalf("size %d", l.Size())
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	old, err := l.Checkpoint(now)
	if err != nil || old.Size != 37 || session.VerifyCheckpoint(pub, old) != nil {
		t.Fatalf("checkpoint %+v: %v", old, err)
	}
	// Every record has a receipt that verifies under the checkpoint.
	for i := 0; i < 37; i++ {
		r, err := l.Receipt(entry(i).SessionID)
		if err != nil || session.VerifyReceipt(pub, r) != nil || r.Entry != entry(i) {
			t.Fatalf("receipt %d: %v", i, err)
		}
	}
	if _, err := l.Receipt("s/none"); !errors.Is(err, ErrNotLogged) {
		t.Fatalf("unknown record: %v", err)
	}
	c.Stop()
	s.Close()

	s, c, l = openLog(t, dir, key)
	defer func() { c.Stop(); s.Close() }()
	if l.Size() != 37 || l.Latest().Root != old.Root {
		t.Fatalf("reopened: size %d root %s", l.Size(), l.Latest().Root)
	}
	appendEntries(t, c, l, 37, 50)
	if _, err := l.Receipt(entry(45).SessionID); !errors.Is(err, ErrLogRange) {
		t.Fatalf("receipt before a checkpoint covers it: %v", err)
	}
	newer, err := l.Checkpoint(now.Add(time.Second))
	if err != nil || newer.Size != 50 {
		t.Fatalf("second checkpoint %+v: %v", newer, err)
	}
	_, proof, err := l.Consistency(old.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.VerifyExtension(pub, old, newer, proof); err != nil {
		t.Fatalf("consistency: %v", err)
	}
	if _, _, err := l.Consistency(51); !errors.Is(err, ErrLogRange) {
		t.Fatalf("range: %v", err)
	}
	// An unchanged log signs nothing new.
	again, _ := l.Checkpoint(now.Add(2 * time.Second))
	if again.Timestamp != newer.Timestamp {
		t.Fatal("checkpoint re-signed without growth")
	}
}

func TestHeadLogRefusesRewrittenHistoryAndClosesHoles(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	s, c, l := openLog(t, dir, key)
	appendEntries(t, c, l, 0, 8)
	if _, err := l.Checkpoint(time.Now()); err != nil {
		t.Fatal(err)
	}
	// A leaf past the signed prefix is lost (its batch failed): the next
	// one is reserved beyond a hole.
	var lost, kept store.Batch
	e8, e9 := entry(8), entry(9)
	i8, _ := l.Reserve(&lost, e8.SessionID, e8)
	i9, _ := l.Reserve(&kept, e9.SessionID, e9)
	if err := c.Commit(&kept); err != nil {
		t.Fatal(err)
	}
	l.Done(i9, e9, nil)
	l.Done(i8, e8, errors.New("disk full"))
	if l.Size() != 8 {
		t.Fatalf("size past a hole: %d", l.Size())
	}
	var b store.Batch
	if _, err := l.Reserve(&b, "x", entry(10)); !errors.Is(err, ErrLogFailed) {
		t.Fatalf("reserve after a failed leaf: %v", err)
	}
	c.Stop()
	s.Close()

	// Reopened, the hole is closed: leaf 9's entry is now leaf 8.
	s, c, l = openLog(t, dir, key)
	if l.Size() != 9 {
		t.Fatalf("reopened size %d", l.Size())
	}
	appendEntries(t, c, l, 10, 11)
	if _, err := l.Checkpoint(time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := l.Receipt(e9.SessionID)
	if err != nil || r.Index != 8 {
		t.Fatalf("moved leaf: %+v %v", r, err)
	}
	// Rewriting a checkpointed leaf makes the log refuse to open.
	if err := s.Put(leafKey(3), entry(99).Encode(), store.Sync); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	s.Close()
	s, err = store.Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, _ = s.NewCommitter()
	defer c.Stop()
	if _, err := OpenHeadLog(s, c, key, "node-a"); !errors.Is(err, ErrLogCorrupt) {
		t.Fatalf("rewritten history: %v", err)
	}
}
