package store

import (
	"fmt"
	"strings"
)

// VaultConfig chooses the vault's key and what it encrypts.
type VaultConfig struct {
	// Passphrase, when not empty, is stretched with Argon2id into the
	// 256-bit key, using a random salt kept in the store (meta/vault/params).
	Passphrase []byte
	// KeyFile is used when Passphrase is empty: a file holding exactly 32
	// random bytes, the key itself, with mode 0600 (no group or other
	// permission bits). OpenVault creates it when the vault is new and the
	// file is missing. Keep it off the disk the store lives on if the
	// store's files may leave the machine without it: a key next to its
	// ciphertext protects nothing.
	KeyFile string
	// Prefixes are the key prefixes whose values are encrypted; values
	// under other prefixes pass through in the clear. Empty means every key
	// (except PrefixMeta, which the vault keeps for itself).
	Prefixes []string
	// Argon2Time is the Argon2id number of passes (>= 1). Used only when
	// the vault is created; an existing vault keeps the parameters it was
	// created with.
	Argon2Time uint32
	// Argon2MemoryKiB is the Argon2id memory in KiB (>= 8*Argon2Threads).
	// Used only when the vault is created.
	Argon2MemoryKiB uint32
	// Argon2Threads is the Argon2id parallelism (1..255). Used only when
	// the vault is created.
	Argon2Threads uint8
}

// DefaultVaultConfig returns Argon2id parameters after RFC 9106 §4 (t=3,
// 64 MiB, p=4) and encrypts every key. The caller sets Passphrase or
// KeyFile.
func DefaultVaultConfig() VaultConfig {
	return VaultConfig{Argon2Time: 3, Argon2MemoryKiB: 64 * 1024, Argon2Threads: 4}
}

// Validate reports the first invalid field, wrapping ErrConfig.
func (c VaultConfig) Validate() error {
	switch {
	case len(c.Passphrase) == 0 && c.KeyFile == "":
		return fmt.Errorf("%w: Passphrase or KeyFile must be set", ErrConfig)
	case c.Argon2Time < 1:
		return fmt.Errorf("%w: Argon2Time %d must be >= 1", ErrConfig, c.Argon2Time)
	case c.Argon2Threads < 1:
		return fmt.Errorf("%w: Argon2Threads %d must be >= 1", ErrConfig, c.Argon2Threads)
	case c.Argon2MemoryKiB < 8*uint32(c.Argon2Threads):
		return fmt.Errorf("%w: Argon2MemoryKiB %d must be >= 8*Argon2Threads (%d)", ErrConfig, c.Argon2MemoryKiB, 8*uint32(c.Argon2Threads))
	}
	for i, p := range c.Prefixes {
		if p == "" {
			return fmt.Errorf("%w: Prefixes[%d] is empty", ErrConfig, i)
		}
		if strings.HasPrefix(p, PrefixMeta) || strings.HasPrefix(PrefixMeta, p) {
			return fmt.Errorf("%w: Prefixes[%d] %q overlaps the reserved prefix %q", ErrConfig, i, p, PrefixMeta)
		}
	}
	return nil
}
