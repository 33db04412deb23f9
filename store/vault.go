package store

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// Vault encrypts values at rest under chosen key prefixes and passes the
// others through. It wraps a Store; several Vaults and direct Store users
// may share one Store, but only through the Vault do encrypted values read
// back as plaintext. A Vault is safe for concurrent use.
//
// Stored format of an encrypted value:
//
//	0x01 | nonce (24 random bytes) | XChaCha20-Poly1305 ciphertext and tag
//
// with additional data "bizra/vault/v1" 0x00 key, so a value copied or
// moved to another key fails authentication. The key is 256 bits, from
// Argon2id(passphrase, salt) or a key file (see VaultConfig). The salt and
// Argon2id parameters live in meta/vault/params; meta/vault/check holds a
// sealed constant that tells a wrong key from a damaged value.
type Vault struct {
	s        *Store
	prefixes []string

	mu   sync.RWMutex
	aead cipher.AEAD // nil once closed
}

const vaultFormat = 1

var vaultAADDomain = []byte("bizra/vault/v1\x00")

// OpenVault opens the vault of s, creating it (salt, parameters, key
// check; and the key file when KeyFile is used and missing) on first use.
// A key that differs from the one the vault was created with fails with
// ErrWrongKey.
func OpenVault(s *Store, cfg VaultConfig) (*Vault, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Two Vaults opened at once over a new store must agree on one salt.
	s.vaultMu.Lock()
	defer s.vaultMu.Unlock()
	mode := byte(vaultModeKeyFile)
	if len(cfg.Passphrase) > 0 {
		mode = vaultModePass
	}
	raw, err := s.Get(vaultParamsKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return createVault(s, cfg, mode)
	case err != nil:
		return nil, err
	}
	p, err := decodeVaultParams(raw)
	if err != nil {
		return nil, err
	}
	if p.mode != mode {
		want := "a passphrase"
		if p.mode == vaultModeKeyFile {
			want = "a key file"
		}
		return nil, fmt.Errorf("%w: this vault was created with %s", ErrWrongKey, want)
	}
	key, err := deriveKey(p, cfg)
	if err != nil {
		return nil, err
	}
	v, err := newVault(s, cfg, key)
	if err != nil {
		return nil, err
	}
	check, err := s.Get(vaultCheckKey)
	if err != nil {
		return nil, fmt.Errorf("store: vault key check: %w", err)
	}
	got, err := v.Decrypt(vaultCheckKey, check)
	if err != nil || string(got) != string(vaultCheckPlain) {
		return nil, ErrWrongKey
	}
	return v, nil
}

func createVault(s *Store, cfg VaultConfig, mode byte) (*Vault, error) {
	p := vaultParams{mode: mode, time: cfg.Argon2Time, memory: cfg.Argon2MemoryKiB, threads: cfg.Argon2Threads}
	if _, err := rand.Read(p.salt[:]); err != nil {
		return nil, err
	}
	if mode == vaultModeKeyFile {
		if _, err := os.Stat(cfg.KeyFile); errors.Is(err, os.ErrNotExist) {
			if err := createKeyFile(cfg.KeyFile); err != nil {
				return nil, err
			}
		}
	}
	key, err := deriveKey(p, cfg)
	if err != nil {
		return nil, err
	}
	v, err := newVault(s, cfg, key)
	if err != nil {
		return nil, err
	}
	check, err := v.Encrypt(vaultCheckKey, vaultCheckPlain)
	if err != nil {
		return nil, err
	}
	var b Batch
	b.Put(vaultParamsKey, p.encode())
	b.Put(vaultCheckKey, check)
	if err := s.Apply(&b, Sync); err != nil {
		return nil, err
	}
	return v, nil
}

func newVault(s *Store, cfg VaultConfig, key []byte) (*Vault, error) {
	aead, err := chacha20poly1305.NewX(key)
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("store: vault cipher: %w", err)
	}
	return &Vault{s: s, prefixes: append([]string(nil), cfg.Prefixes...), aead: aead}, nil
}

// Close drops the key; later calls return ErrClosed. It does not close
// the Store. Close is safe to call more than once.
func (v *Vault) Close() error {
	v.mu.Lock()
	v.aead = nil
	v.mu.Unlock()
	return nil
}

func (v *Vault) cipher() (cipher.AEAD, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.aead == nil {
		return nil, ErrClosed
	}
	return v.aead, nil
}

// Encrypted reports whether values under key are encrypted by this vault.
func (v *Vault) Encrypted(key []byte) bool {
	if strings.HasPrefix(string(key), PrefixMeta) {
		return false
	}
	if len(v.prefixes) == 0 {
		return true
	}
	for _, p := range v.prefixes {
		if strings.HasPrefix(string(key), p) {
			return true
		}
	}
	return false
}

func vaultAAD(key []byte) []byte {
	return append(append(make([]byte, 0, len(vaultAADDomain)+len(key)), vaultAADDomain...), key...)
}

// Encrypt seals plaintext for storage under key (whatever its prefix).
// Use it to put encrypted values into a Batch or through a Committer.
func (v *Vault) Encrypt(key, plaintext []byte) ([]byte, error) {
	aead, err := v.cipher()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(plaintext)+aead.Overhead())
	out[0] = vaultFormat
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plaintext, vaultAAD(key)), nil
}

// Decrypt opens a value that Encrypt sealed for key. A value that was
// altered, truncated or sealed for another key fails with ErrDecrypt.
func (v *Vault) Decrypt(key, stored []byte) ([]byte, error) {
	aead, err := v.cipher()
	if err != nil {
		return nil, err
	}
	if len(stored) < 1+chacha20poly1305.NonceSizeX+aead.Overhead() || stored[0] != vaultFormat {
		return nil, fmt.Errorf("%w: key %q: not a vault value", ErrDecrypt, key)
	}
	nonce, ct := stored[1:1+chacha20poly1305.NonceSizeX], stored[1+chacha20poly1305.NonceSizeX:]
	pt, err := aead.Open(nil, nonce, ct, vaultAAD(key))
	if err != nil {
		return nil, fmt.Errorf("%w: key %q", ErrDecrypt, key)
	}
	return pt, nil
}

// seal returns what is stored for value under key: ciphertext under an
// encrypted prefix, value itself otherwise.
func (v *Vault) seal(key, value []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, ErrEmptyKey
	}
	if strings.HasPrefix(string(key), PrefixMeta) {
		return nil, fmt.Errorf("%w: %q", ErrReserved, key)
	}
	if !v.Encrypted(key) || v.s.atRest.Load() == v { // the store seals it
		if _, err := v.cipher(); err != nil {
			return nil, err
		}
		return value, nil
	}
	return v.Encrypt(key, value)
}

func (v *Vault) open(key, stored []byte) ([]byte, error) {
	if !v.Encrypted(key) || v.s.atRest.Load() == v { // the store opened it
		if _, err := v.cipher(); err != nil {
			return nil, err
		}
		return stored, nil
	}
	return v.Decrypt(key, stored)
}

// Put stores value under key, encrypted when key is under an encrypted
// prefix.
func (v *Vault) Put(key, value []byte, d Durability) error {
	sealed, err := v.seal(key, value)
	if err != nil {
		return err
	}
	return v.s.Put(key, sealed, d)
}

// Get returns the plaintext value under key, or an error wrapping
// ErrNotFound or ErrDecrypt.
func (v *Vault) Get(key []byte) ([]byte, error) {
	if _, err := v.cipher(); err != nil {
		return nil, err
	}
	stored, err := v.s.Get(key)
	if err != nil {
		return nil, err
	}
	return v.open(key, stored)
}

// Has reports whether key has a value (without decrypting it).
func (v *Vault) Has(key []byte) (bool, error) {
	if _, err := v.cipher(); err != nil {
		return false, err
	}
	return v.s.Has(key)
}

// Delete removes key.
func (v *Vault) Delete(key []byte, d Durability) error {
	if strings.HasPrefix(string(key), PrefixMeta) {
		return fmt.Errorf("%w: %q", ErrReserved, key)
	}
	if _, err := v.cipher(); err != nil {
		return err
	}
	return v.s.Delete(key, d)
}

// BatchPut adds to b a put of value under key, encrypted as Put would.
func (v *Vault) BatchPut(b *Batch, key, value []byte) error {
	sealed, err := v.seal(key, value)
	if err != nil {
		return err
	}
	b.Put(key, sealed)
	return nil
}

// Scan is Store.Scan with plaintext values. A value that fails to decrypt
// stops the scan with ErrDecrypt. Scanning under PrefixMeta yields the
// vault's records as stored.
func (v *Vault) Scan(prefix []byte, fn func(key, value []byte) error) error {
	if _, err := v.cipher(); err != nil {
		return err
	}
	return v.s.Scan(prefix, func(key, stored []byte) error {
		pt, err := v.open(key, stored)
		if err != nil {
			return err
		}
		return fn(key, pt)
	})
}
