package store

import (
	"testing"
)

// testConfig keeps memory small so many stores can run at once.
func testConfig() Config {
	c := DefaultConfig()
	c.CacheSize = 1 << 20
	c.MemTableSize = 1 << 20
	return c
}

// openTest opens a store in a fresh directory, closed at cleanup.
func openTest(t testing.TB) *Store {
	t.Helper()
	return openAt(t, t.TempDir())
}

func openAt(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, testConfig())
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustPut(t testing.TB, s *Store, key, value string, d Durability) {
	t.Helper()
	if err := s.Put([]byte(key), []byte(value), d); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t testing.TB, s *Store, key string) string {
	t.Helper()
	v, err := s.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v)
}
