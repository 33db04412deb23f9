package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cheapVault keeps Argon2id fast in tests; production uses
// DefaultVaultConfig's parameters.
func cheapVault(pass string, prefixes ...string) VaultConfig {
	c := DefaultVaultConfig()
	c.Passphrase = []byte(pass)
	c.Prefixes = prefixes
	c.Argon2Time, c.Argon2MemoryKiB, c.Argon2Threads = 1, 64, 1
	return c
}

func marker(t *testing.T, label string) []byte {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return []byte(label + "-" + hex.EncodeToString(b))
}

// rawFilesContain reports whether any file under dir contains needle.
func rawFilesContain(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestVaultValidate(t *testing.T) {
	if err := DefaultVaultConfig().Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "Passphrase or KeyFile") {
		t.Errorf("no key: %v", err)
	}
	cases := []struct {
		field string
		mut   func(*VaultConfig)
	}{
		{"Argon2Time", func(c *VaultConfig) { c.Argon2Time = 0 }},
		{"Argon2Threads", func(c *VaultConfig) { c.Argon2Threads = 0 }},
		{"Argon2MemoryKiB", func(c *VaultConfig) { c.Argon2MemoryKiB = 8 }},
		{"Prefixes[1]", func(c *VaultConfig) { c.Prefixes = []string{"lic/", ""} }},
		{"Prefixes[0]", func(c *VaultConfig) { c.Prefixes = []string{"meta/vault"} }},
	}
	for _, tc := range cases {
		c := DefaultVaultConfig()
		c.Passphrase = []byte("p")
		tc.mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}

func TestVaultRoundTripAndCiphertextAtRest(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	v, err := OpenVault(s, cheapVault("correct horse", PrefixLicense, PrefixLedger))
	if err != nil {
		t.Fatal(err)
	}
	secret := marker(t, "SECRET")
	plain := marker(t, "CLEAR")
	if err := v.Put([]byte("lic/1"), secret, Sync); err != nil {
		t.Fatal(err)
	}
	if err := v.Put([]byte("pat/1"), plain, Sync); err != nil {
		t.Fatal(err)
	}
	got, err := v.Get([]byte("lic/1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Get lic/1 = %q, %v", got, err)
	}
	raw, _ := s.Get([]byte("lic/1"))
	if bytes.Contains(raw, secret) || len(raw) != 1+24+len(secret)+16 || raw[0] != 1 {
		t.Fatalf("stored value is not the sealed form: %x", raw)
	}
	if raw, _ := s.Get([]byte("pat/1")); !bytes.Equal(raw, plain) {
		t.Fatalf("unencrypted prefix was changed: %q", raw)
	}
	// Same plaintext twice gives different ciphertexts (random nonces).
	v.Put([]byte("lic/2"), secret, Sync)
	raw2, _ := s.Get([]byte("lic/2"))
	if bytes.Equal(raw[1:25], raw2[1:25]) {
		t.Fatal("nonce reused")
	}
	// Scan decrypts.
	n := 0
	if err := v.Scan([]byte("lic/"), func(k, val []byte) error {
		n++
		if !bytes.Equal(val, secret) {
			t.Errorf("scan %q = %q", k, val)
		}
		return nil
	}); err != nil || n != 2 {
		t.Fatalf("scan: %v, %d values", err, n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The clear marker is found in the raw files, so the search works; the
	// secret is not.
	if !rawFilesContain(t, dir, plain) {
		t.Fatal("control: clear value not found in the raw files")
	}
	if rawFilesContain(t, dir, secret) {
		t.Fatal("plaintext of an encrypted value found in the raw files")
	}
	if rawFilesContain(t, dir, []byte("correct horse")) {
		t.Fatal("passphrase found in the raw files")
	}
}

func TestVaultReopenAndWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	v, err := OpenVault(s, cheapVault("right"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Put([]byte("ledger/1"), []byte("balance 10"), Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenVault(s, cheapVault("wrong")); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong passphrase: %v, want ErrWrongKey", err)
	}
	kf := filepath.Join(t.TempDir(), "key")
	if _, err := OpenVault(s, VaultConfig{KeyFile: kf, Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("key file on a passphrase vault: %v, want ErrWrongKey", err)
	}
	s.Close()
	s = openAt(t, dir)
	// Parameters come from the store, not the config, once created.
	cfg := cheapVault("right")
	cfg.Argon2Time = 2
	v, err = OpenVault(s, cfg)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	got, err := v.Get([]byte("ledger/1"))
	if err != nil || string(got) != "balance 10" {
		t.Fatalf("after reopen: %q, %v", got, err)
	}
}

func TestVaultTamperAndMove(t *testing.T) {
	s := openTest(t)
	v, err := OpenVault(s, cheapVault("p"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Put([]byte("lic/a"), []byte("license A"), Sync); err != nil {
		t.Fatal(err)
	}
	raw, _ := s.Get([]byte("lic/a"))
	for i := range raw {
		bad := append([]byte(nil), raw...)
		bad[i] ^= 0x01
		if _, err := v.Decrypt([]byte("lic/a"), bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flip byte %d: %v, want ErrDecrypt", i, err)
		}
	}
	if _, err := v.Decrypt([]byte("lic/a"), raw[:len(raw)-1]); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("truncated: %v", err)
	}
	// Moved to another key: intact bytes, wrong key.
	if err := s.Put([]byte("lic/b"), raw, Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Get([]byte("lic/b")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("moved value: %v, want ErrDecrypt", err)
	}
	if got, err := v.Get([]byte("lic/a")); err != nil || string(got) != "license A" {
		t.Fatalf("original: %q, %v", got, err)
	}
	// Tampered in the store, read through Get and Scan.
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 0x80
	s.Put([]byte("lic/a"), bad, Sync)
	if _, err := v.Get([]byte("lic/a")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered Get: %v", err)
	}
	if err := v.Scan([]byte("lic/"), func(k, val []byte) error { return nil }); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered Scan: %v", err)
	}
	// A plaintext value under an encrypted prefix is not accepted.
	s.Put([]byte("lic/plain"), []byte("written around the vault, long enough to look real"), Sync)
	if _, err := v.Get([]byte("lic/plain")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("plaintext under encrypted prefix: %v", err)
	}
}

func TestVaultTamperedCheckIsWrongKey(t *testing.T) {
	s := openTest(t)
	if _, err := OpenVault(s, cheapVault("p")); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Get(vaultCheckKey)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-3] ^= 1
	s.Put(vaultCheckKey, raw, Sync)
	if _, err := OpenVault(s, cheapVault("p")); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("tampered check: %v", err)
	}
	s.Put(vaultParamsKey, []byte{9, 9}, Sync)
	if _, err := OpenVault(s, cheapVault("p")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt params: %v", err)
	}
}

func TestVaultKeyFile(t *testing.T) {
	s := openTest(t)
	kdir := t.TempDir()
	kf := filepath.Join(kdir, "vault.key")
	cfg := VaultConfig{KeyFile: kf, Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1}
	v, err := OpenVault(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(kf)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != 32 {
		t.Fatalf("key file mode %v size %d", st.Mode(), st.Size())
	}
	if err := v.Put([]byte("pat/x"), []byte("pattern"), Sync); err != nil {
		t.Fatal(err)
	}
	v2, err := OpenVault(s, cfg)
	if err != nil {
		t.Fatalf("reopen with key file: %v", err)
	}
	if got, err := v2.Get([]byte("pat/x")); err != nil || string(got) != "pattern" {
		t.Fatalf("Get: %q, %v", got, err)
	}
	if _, err := OpenVault(s, cheapVault("p")); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("passphrase on a key-file vault: %v", err)
	}
	// Loose permissions are refused.
	if err := os.Chmod(kf, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenVault(s, cfg); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("mode 0644: %v", err)
	}
	os.Chmod(kf, 0o600)
	// Another key: wrong key.
	other := filepath.Join(kdir, "other.key")
	if err := createKeyFile(other); err != nil {
		t.Fatal(err)
	}
	cfg2 := cfg
	cfg2.KeyFile = other
	if _, err := OpenVault(s, cfg2); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("other key file: %v", err)
	}
	// Missing key file for an existing vault is not silently recreated.
	cfg2.KeyFile = filepath.Join(kdir, "missing.key")
	if _, err := OpenVault(s, cfg2); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("missing key file: %v", err)
	}
	if _, err := os.Stat(cfg2.KeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was created for an existing vault")
	}
	// Wrong size.
	short := filepath.Join(kdir, "short.key")
	os.WriteFile(short, []byte("short"), 0o600)
	if _, err := readKeyFile(short); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("short key file: %v", err)
	}
}

func TestVaultReservedAndClosed(t *testing.T) {
	s := openTest(t)
	v, err := OpenVault(s, cheapVault("p", PrefixLedger))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Put([]byte("meta/vault/check"), []byte("x"), Sync); !errors.Is(err, ErrReserved) {
		t.Errorf("Put meta/: %v", err)
	}
	if err := v.Delete([]byte("meta/vault/params"), Sync); !errors.Is(err, ErrReserved) {
		t.Errorf("Delete meta/: %v", err)
	}
	if v.Encrypted([]byte("pat/x")) || !v.Encrypted([]byte("ledger/x")) || v.Encrypted([]byte("meta/x")) {
		t.Error("Encrypted disagrees with Prefixes")
	}
	var b Batch
	if err := v.BatchPut(&b, []byte("ledger/b"), []byte("batched")); err != nil {
		t.Fatal(err)
	}
	c, err := s.NewCommitter()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if err := c.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if got, err := v.Get([]byte("ledger/b")); err != nil || string(got) != "batched" {
		t.Fatalf("batched: %q, %v", got, err)
	}
	if raw, _ := s.Get([]byte("ledger/b")); bytes.Contains(raw, []byte("batched")) {
		t.Fatal("BatchPut stored plaintext")
	}
	v.Close()
	v.Close()
	if _, err := v.Get([]byte("ledger/b")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if err := v.Put([]byte("pat/b"), nil, Sync); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
}

func TestVaultDefaultParamsDerive(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB Argon2id")
	}
	s := openTest(t)
	cfg := DefaultVaultConfig()
	cfg.Passphrase = []byte("production parameters")
	v, err := OpenVault(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := s.Get(vaultParamsKey)
	p, err := decodeVaultParams(raw)
	if err != nil || p.time != 3 || p.memory != 64*1024 || p.threads != 4 || p.mode != vaultModePass {
		t.Fatalf("stored params %+v, %v", p, err)
	}
	if err := v.Put([]byte("lic/x"), []byte("y"), NoSync); err != nil {
		t.Fatal(err)
	}
}
