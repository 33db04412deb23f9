package pci

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// pemType is the PEM block type of a key file; its body is the 32 byte
// Ed25519 seed (RFC 8032 private key).
const pemType = "BIZRA ED25519 SEED"

// LoadOrCreateKey loads the Ed25519 key stored at path, or creates one
// (parent directory mode 0700, file mode 0600, written atomically) when
// no file exists. A file that group or others may read or write is
// refused with ErrKeyFileMode; a malformed file with ErrInvalidKey.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		return loadKey(path, fi)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("pci: key file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("pci: key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pci: generating key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: priv.Seed()})
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, fmt.Errorf("pci: key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		if _, err = tmp.Write(data); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("pci: writing key file: %w", err)
	}
	// Link fails if another process created the key meanwhile; then load theirs.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			fi, serr := os.Stat(path)
			if serr != nil {
				return nil, fmt.Errorf("pci: key file: %w", serr)
			}
			return loadKey(path, fi)
		}
		return nil, fmt.Errorf("pci: writing key file: %w", err)
	}
	return priv, nil
}

func loadKey(path string, fi fs.FileInfo) (ed25519.PrivateKey, error) {
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInvalidKey, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrKeyFileMode, path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pci: key file: %w", err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != pemType || len(block.Bytes) != ed25519.SeedSize || len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: %s is not a %q PEM file with a %d byte seed", ErrInvalidKey, path, pemType, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(block.Bytes), nil
}

// PublicKeyID returns a printable identity for pub: "ed25519:" followed by
// the unpadded base64url encoding of the 32 key bytes.
func PublicKeyID(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.RawURLEncoding.EncodeToString(pub)
}

// ParsePublicKeyID is the inverse of PublicKeyID.
func ParsePublicKeyID(id string) (ed25519.PublicKey, error) {
	const prefix = "ed25519:"
	if len(id) < len(prefix) || id[:len(prefix)] != prefix {
		return nil, fmt.Errorf("%w: %q lacks the %q prefix", ErrInvalidKey, id, prefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(id[len(prefix):])
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %q is not a base64url 32 byte key", ErrInvalidKey, id)
	}
	return ed25519.PublicKey(b), nil
}
