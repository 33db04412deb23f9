package session

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func mustHash(t testing.TB) func(Hash, error) Hash {
	return func(h Hash, err error) Hash {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
}

// fullSession returns a session with a branch merged back and committed:
//
//	root(init) -> a(active) -> b1(active) ----------> m(active) -> c(computing) -> v(validated) -> k(committed)
//	                      \-> b2(active) -> b3(active) /
func fullSession(t testing.TB) *Session {
	t.Helper()
	ok := mustHash(t)
	s, err := Create("sess-1", NewMemStore(), at(0))
	if err != nil {
		t.Fatal(err)
	}
	a := ok(s.Begin(HashPayload([]byte("task card")), at(1)))
	b1 := ok(s.Advance(Active, HashPayload([]byte("step 1")), at(2)))
	b2 := ok(s.Branch(a, HashPayload([]byte("alt")), at(2)))
	b3 := ok(s.Branch(b2, HashPayload([]byte("alt 2")), at(3)))
	ok(s.Merge([]Hash{b3, b1}, HashPayload([]byte("merge")), at(4)))
	ok(s.StartCompute(HashPayload([]byte("model x")), at(5)))
	ok(s.Validate(HashPayload([]byte("result")), at(6)))
	ok(s.Commit(HashPayload([]byte("final")), at(7)))
	return s
}
