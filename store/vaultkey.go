package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/crypto/argon2"
)

// Vault records under PrefixMeta.
var (
	vaultParamsKey = []byte(PrefixMeta + "vault/params")
	vaultCheckKey  = []byte(PrefixMeta + "vault/check")
)

const (
	vaultParamsVersion = 1
	vaultModePass      = 1 // key = Argon2id(passphrase, salt, params)
	vaultModeKeyFile   = 2 // key = the key file's 32 bytes
	vaultSaltSize      = 16
	vaultKeySize       = 32
	// vaultParamsSize: version, mode, time u32, memory u32, threads u8, salt.
	vaultParamsSize = 1 + 1 + 4 + 4 + 1 + vaultSaltSize
)

// vaultCheckPlain is sealed under meta/vault/check when a vault is
// created; opening it proves the key is the same.
var vaultCheckPlain = []byte("bizra/vault/check/v1")

// vaultParams is the meta/vault/params record.
type vaultParams struct {
	mode    byte
	time    uint32
	memory  uint32
	threads uint8
	salt    [vaultSaltSize]byte
}

func (p vaultParams) encode() []byte {
	b := make([]byte, 0, vaultParamsSize)
	b = append(b, vaultParamsVersion, p.mode)
	b = binary.BigEndian.AppendUint32(b, p.time)
	b = binary.BigEndian.AppendUint32(b, p.memory)
	b = append(b, p.threads)
	return append(b, p.salt[:]...)
}

func decodeVaultParams(b []byte) (vaultParams, error) {
	var p vaultParams
	if len(b) != vaultParamsSize || b[0] != vaultParamsVersion {
		return p, fmt.Errorf("%w: vault params record (%d bytes)", ErrCorrupt, len(b))
	}
	p.mode = b[1]
	p.time = binary.BigEndian.Uint32(b[2:])
	p.memory = binary.BigEndian.Uint32(b[6:])
	p.threads = b[10]
	copy(p.salt[:], b[11:])
	if (p.mode != vaultModePass && p.mode != vaultModeKeyFile) || p.time < 1 || p.threads < 1 || p.memory < 8*uint32(p.threads) {
		return p, fmt.Errorf("%w: vault params record has invalid fields", ErrCorrupt)
	}
	return p, nil
}

// deriveKey returns the 32-byte key for params and cfg.
func deriveKey(p vaultParams, cfg VaultConfig) ([]byte, error) {
	if p.mode == vaultModePass {
		return argon2.IDKey(cfg.Passphrase, p.salt[:], p.time, p.memory, p.threads, vaultKeySize), nil
	}
	return readKeyFile(cfg.KeyFile)
}

// readKeyFile reads a 32-byte key file, refusing one that group or others
// may access.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o, want 0600", ErrKeyFile, path, perm)
	}
	if !st.Mode().IsRegular() || st.Size() != vaultKeySize {
		return nil, fmt.Errorf("%w: %s must be a regular file of %d bytes", ErrKeyFile, path, vaultKeySize)
	}
	key := make([]byte, vaultKeySize)
	if _, err := io.ReadFull(f, key); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, path, err)
	}
	return key, nil
}

// createKeyFile writes a new random key to path with mode 0600 and syncs
// it and its directory. It fails if path exists.
func createKeyFile(path string) error {
	key := make([]byte, vaultKeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w: create %s: %v", ErrKeyFile, path, err)
	}
	_, err = f.Write(key)
	err = errors.Join(err, f.Sync(), f.Close())
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%w: write %s: %v", ErrKeyFile, path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
