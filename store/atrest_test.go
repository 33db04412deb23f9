package store

import (
	"bytes"
	"errors"
	"testing"
)

// rawValue reads what is on disk under key, bypassing the at-rest vault.
func rawValue(t *testing.T, s *Store, key []byte) []byte {
	t.Helper()
	v, closer, err := s.db.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	return append([]byte(nil), v...)
}

func TestEncryptAtRestCoversEveryWritePath(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	v, err := OpenVault(s, cheapVault("pass", PrefixLedger, PrefixSession))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EncryptAtRest(v); err != nil {
		t.Fatal(err)
	}
	c, _ := s.NewCommitter()
	heads, _ := NewHeads(s, c)
	secret := []byte("balance of ed25519:alice is 1000")
	mustPut(t, s, "ledger/direct", string(secret), Sync)
	var b Batch
	b.Put([]byte("ledger/batched"), secret)
	b.Put([]byte("dag/clear"), secret)
	if err := c.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if err := heads.Put("s1", Head{State: 2}); err != nil {
		t.Fatal(err)
	}
	// On disk: ciphertext under the vault's prefixes, clear text elsewhere.
	for _, k := range []string{"ledger/direct", "ledger/batched"} {
		if raw := rawValue(t, s, []byte(k)); bytes.Contains(raw, secret) || raw[0] != vaultFormat {
			t.Fatalf("%s stored in the clear", k)
		}
	}
	if raw := rawValue(t, s, []byte("dag/clear")); !bytes.Equal(raw, secret) {
		t.Fatal("a value outside the vault's prefixes was changed")
	}
	// Reads through the store, scans and typed owners see plaintext.
	if got := mustGet(t, s, "ledger/batched"); got != string(secret) {
		t.Fatalf("get %q", got)
	}
	n := 0
	if err := s.Scan([]byte("ledger/"), func(_, val []byte) error {
		if !bytes.Equal(val, secret) {
			t.Fatalf("scan gave %q", val)
		}
		n++
		return nil
	}); err != nil || n != 2 {
		t.Fatalf("scan: %d values, %v", n, err)
	}
	if h, err := heads.Get("s1"); err != nil || h.State != 2 {
		t.Fatalf("head through the vault: %+v %v", h, err)
	}
	// The vault's own methods do not encrypt twice.
	if got, err := v.Get([]byte("ledger/direct")); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("vault get: %q %v", got, err)
	}
	if has, err := s.HasValuesUnder([]string{PrefixLedger}); err != nil || !has {
		t.Fatalf("HasValuesUnder: %v %v", has, err)
	}
	c.Stop()
	s.Close()

	// Reopened without the vault the values are ciphertext; with a wrong
	// passphrase the vault refuses to open.
	s2, err := Open(dir, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, _ := s2.Get([]byte("ledger/direct")); bytes.Contains(got, secret) {
		t.Fatal("plaintext readable without the vault")
	}
	if _, err := OpenVault(s2, cheapVault("wrong", PrefixLedger)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	v2, err := OpenVault(s2, cheapVault("pass", PrefixLedger, PrefixSession))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.EncryptAtRest(v2); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s2, "ledger/direct"); got != string(secret) {
		t.Fatalf("after reopen: %q", got)
	}
	// A value moved to another key fails authentication.
	if err := s2.db.Set([]byte("ledger/moved"), rawValue(t, s2, []byte("ledger/direct")), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Get([]byte("ledger/moved")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("moved value: %v", err)
	}
	if err := s2.EncryptAtRest(nil); err == nil {
		t.Fatal("nil vault accepted")
	}
}
