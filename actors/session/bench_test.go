package session

import (
	"encoding/json"
	"testing"
	"time"
)

func BenchmarkAppend(b *testing.B) {
	s, _ := Create("bench", NewMemStore(), at(0))
	s.Begin(Hash{1}, at(1))
	pl := HashPayload([]byte("step"))
	now := at(2)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Advance(Active, pl, now.Add(time.Duration(i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNodeHash(b *testing.B) {
	n, _ := NewNode(Active, t0, []Hash{{1}, {2}}, Hash{3})
	b.ReportAllocs()
	for b.Loop() {
		n.Hash()
	}
}

func BenchmarkVerifyProof(b *testing.B) {
	p := fullSession(b).Proof()
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyProof(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeProofJSON(b *testing.B) {
	raw, _ := json.Marshal(fullSession(b).Proof())
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeProofJSON(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLogAppendAndRoot(b *testing.B) {
	l := &Log{}
	e := LogEntry{SessionID: "bench", Head: Hash{1}, State: Committed}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Timestamp = int64(i)
		l.AppendEntry(e)
		l.Root()
	}
}
