package pci

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, "node.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != ed25519.PrivateKeySize {
		t.Fatalf("key is %d bytes", len(k1))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %o, want 600", fi.Mode().Perm())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode %o, want 700", di.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("second load returned a different key")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "BEGIN "+pemType) {
		t.Fatalf("not a PEM file: %q", data)
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateKey(path)
		if !errors.Is(err, ErrKeyFileMode) || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %o: got %v, want ErrKeyFileMode", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err != nil {
		t.Fatalf("mode 400 refused: %v", err)
	}
}

func TestLoadKeyMalformed(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":     "",
		"raw":       strings.Repeat("a", 32),
		"wrongtype": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"short":     "-----BEGIN " + pemType + "-----\nAAAA\n-----END " + pemType + "-----\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateKey(p); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
		}
	}
	if _, err := LoadOrCreateKey(dir); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("directory: got %v, want ErrInvalidKey", err)
	}
}

func TestPublicKeyID(t *testing.T) {
	pub := testKey("id").Public().(ed25519.PublicKey)
	id := PublicKeyID(pub)
	if !strings.HasPrefix(id, "ed25519:") || len(id) != len("ed25519:")+43 {
		t.Fatalf("id %q", id)
	}
	back, err := ParsePublicKeyID(id)
	if err != nil || !bytes.Equal(back, pub) {
		t.Fatalf("round trip: %x %v", back, err)
	}
	if PublicKeyID(testKey("other").Public().(ed25519.PublicKey)) == id {
		t.Fatal("two keys share an id")
	}
	for _, bad := range []string{"", "ed25519:", "rsa:" + id[8:], id + "AA", "ed25519:!!!!"} {
		if _, err := ParsePublicKeyID(bad); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}
