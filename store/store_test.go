package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidateNamesField(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cases := []struct {
		field string
		mut   func(*Config)
	}{
		{"CacheSize", func(c *Config) { c.CacheSize = 0 }},
		{"MemTableSize", func(c *Config) { c.MemTableSize = 1000 }},
		{"MemTableSize", func(c *Config) { c.MemTableSize = 4 << 30 }},
		{"MaxOpenFiles", func(c *Config) { c.MaxOpenFiles = 2 }},
		{"CommitMaxOps", func(c *Config) { c.CommitMaxOps = 0 }},
		{"CommitMaxBytes", func(c *Config) { c.CommitMaxBytes = -1 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.mut(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v, want ErrConfig naming the field", tc.field, err)
		}
		if _, err := Open(t.TempDir(), c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Open accepted an invalid config: %v", tc.field, err)
		}
	}
}

func TestPutGetDeleteHas(t *testing.T) {
	s := openTest(t)
	if _, err := s.Get([]byte("lic/a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	mustPut(t, s, "lic/a", "one", NoSync)
	mustPut(t, s, "lic/b", "two", Sync)
	if got := mustGet(t, s, "lic/a"); got != "one" {
		t.Fatalf("Get lic/a = %q", got)
	}
	mustPut(t, s, "lic/a", "uno", Sync)
	if got := mustGet(t, s, "lic/a"); got != "uno" {
		t.Fatalf("overwrite: Get lic/a = %q", got)
	}
	if ok, err := s.Has([]byte("lic/b")); err != nil || !ok {
		t.Fatalf("Has lic/b = %v, %v", ok, err)
	}
	if err := s.Delete([]byte("lic/b"), Sync); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Has([]byte("lic/b")); err != nil || ok {
		t.Fatalf("Has after delete = %v, %v", ok, err)
	}
	if err := s.Delete([]byte("lic/missing"), NoSync); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
	// The returned value is a copy.
	v, _ := s.Get([]byte("lic/a"))
	v[0] = 'X'
	if got := mustGet(t, s, "lic/a"); got != "uno" {
		t.Fatalf("value aliased the store: %q", got)
	}
	// Put keeps its own copy of the value.
	buf := []byte("orig")
	if err := s.Put([]byte("lic/c"), buf, NoSync); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXX")
	if got := mustGet(t, s, "lic/c"); got != "orig" {
		t.Fatalf("Put aliased the caller's buffer: %q", got)
	}
	// An empty value is a value.
	mustPut(t, s, "lic/empty", "", Sync)
	if ok, _ := s.Has([]byte("lic/empty")); !ok {
		t.Fatal("empty value not found")
	}
}

func TestEmptyKey(t *testing.T) {
	s := openTest(t)
	if err := s.Put(nil, []byte("v"), Sync); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Put: %v", err)
	}
	if _, err := s.Get(nil); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Get: %v", err)
	}
	if err := s.Delete(nil, Sync); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Delete: %v", err)
	}
	var b Batch
	b.Put([]byte("pat/ok"), nil)
	b.Put(nil, []byte("v"))
	if err := s.Apply(&b, Sync); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Apply: %v", err)
	}
	if ok, _ := s.Has([]byte("pat/ok")); ok {
		t.Error("a rejected batch was partly applied")
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		d := NoSync
		if i%2 == 0 {
			d = Sync
		}
		mustPut(t, s, fmt.Sprintf("ledger/%03d", i), fmt.Sprint(i*i), d)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir)
	for i := range 100 {
		if got := mustGet(t, s, fmt.Sprintf("ledger/%03d", i)); got != fmt.Sprint(i*i) {
			t.Fatalf("ledger/%03d = %q", i, got)
		}
	}
}

func TestCloseTwiceAndClosedErrors(t *testing.T) {
	s, err := Open(t.TempDir(), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checks := map[string]error{
		"Put":    s.Put([]byte("k"), nil, Sync),
		"Delete": s.Delete([]byte("k"), Sync),
		"Apply":  s.Apply(func() *Batch { var b Batch; b.Put([]byte("k"), nil); return &b }(), Sync),
		"Scan":   s.Scan(nil, func(k, v []byte) error { return nil }),
		"Sync":   s.Sync(),
	}
	_, checks["Get"] = s.Get([]byte("k"))
	_, checks["Has"] = s.Has([]byte("k"))
	_, checks["NewCommitter"] = s.NewCommitter()
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	_, err := Open(dir, testConfig())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	// The same directory through a symlink is still the same lock.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(link, testConfig()); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open via a symlink: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, testConfig())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestScanPrefix(t *testing.T) {
	s := openTest(t)
	keys := []string{"dag/a", "dag/b", "dag/c\xff", "dah/x", "da", "ledger/1", "pat/\xff\xff"}
	for _, k := range keys {
		mustPut(t, s, k, "v:"+k, NoSync)
	}
	collect := func(prefix string) []string {
		var got []string
		err := s.Scan([]byte(prefix), func(k, v []byte) error {
			if string(v) != "v:"+string(k) {
				t.Errorf("value of %q = %q", k, v)
			}
			got = append(got, string(k))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := collect("dag/"); fmt.Sprint(got) != fmt.Sprint([]string{"dag/a", "dag/b", "dag/c\xff"}) {
		t.Errorf("dag/: %q", got)
	}
	if got := collect("pat/\xff"); len(got) != 1 || got[0] != "pat/\xff\xff" {
		t.Errorf("pat/\\xff: %q", got)
	}
	if got := collect(""); len(got) != len(keys) {
		t.Errorf("all: %q", got)
	}
	if got := collect("nope/"); len(got) != 0 {
		t.Errorf("nope/: %q", got)
	}
	n := 0
	err := s.Scan([]byte("dag/"), func(k, v []byte) error { n++; return ErrStop })
	if err != nil || n != 1 {
		t.Errorf("ErrStop: err %v after %d calls", err, n)
	}
	boom := errors.New("boom")
	if err := s.Scan([]byte("dag/"), func(k, v []byte) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error: %v", err)
	}
	// The callback may write; the scan sees its starting snapshot.
	seen := 0
	err = s.Scan([]byte("dag/"), func(k, v []byte) error {
		seen++
		return s.Put(append([]byte("dag/z"), k...), v, NoSync)
	})
	if err != nil || seen != 3 {
		t.Errorf("writing scan: err %v, %d calls, want 3", err, seen)
	}
}

func TestApplyIsAtomicAndOrdered(t *testing.T) {
	s := openTest(t)
	mustPut(t, s, "ledger/gone", "x", NoSync)
	var b Batch
	b.Put([]byte("ledger/a"), []byte("1"))
	b.Put([]byte("ledger/a"), []byte("2")) // later op wins
	b.Delete([]byte("ledger/gone"))
	b.Put([]byte("ledger/b"), []byte("3"))
	if b.Len() != 4 {
		t.Fatalf("Len = %d", b.Len())
	}
	if err := s.Apply(&b, Sync); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "ledger/a"); got != "2" {
		t.Errorf("ledger/a = %q", got)
	}
	if ok, _ := s.Has([]byte("ledger/gone")); ok {
		t.Error("delete in batch not applied")
	}
	b.Reset()
	if b.Len() != 0 || b.Size() != 0 {
		t.Error("Reset left operations")
	}
	if err := s.Apply(&b, Sync); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func TestKeyHelpers(t *testing.T) {
	if got := string(Key(PrefixLedger, "tx/42")); got != "ledger/tx/42" {
		t.Errorf("Key = %q", got)
	}
	for _, p := range append(Prefixes, PrefixMeta) {
		if got := OwnerOf(Key(p, "x")); got != p {
			t.Errorf("OwnerOf(%q) = %q", p+"x", got)
		}
	}
	if got := OwnerOf([]byte("session/x")); got != "" {
		t.Errorf("OwnerOf(unknown) = %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"a", "b"}, {"a\xff", "b"}, {"\xff\xff", ""}, {"", ""}, {"dag/", "dag0"},
	} {
		if got := string(prefixEnd([]byte(tc.in))); got != tc.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
