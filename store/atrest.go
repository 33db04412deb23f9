package store

import (
	"fmt"
	"strings"
)

// EncryptAtRest makes the vault v (opened over s) encrypt every value s
// writes under v's prefixes and decrypt every such value s reads: Put,
// Apply, Committers, Get and Scan, so the owners of those prefixes (the
// session records, the ledger, ...) are encrypted at rest without knowing
// it. Values outside the prefixes, and meta/, pass through. Call it once,
// before the store is used for those prefixes; values written in the clear
// before it no longer read back (ErrDecrypt).
func (s *Store) EncryptAtRest(v *Vault) error {
	if v == nil || v.s != s {
		return fmt.Errorf("%w: the vault is not this store's", ErrConfig)
	}
	s.atRest.Store(v)
	return nil
}

// sealValue encrypts value when key is under the at-rest vault's prefixes.
func (s *Store) sealValue(key, value []byte) ([]byte, error) {
	if v := s.atRest.Load(); v != nil && v.Encrypted(key) {
		return v.Encrypt(key, value)
	}
	return value, nil
}

// openValue decrypts a stored value when key is under the at-rest vault's
// prefixes.
func (s *Store) openValue(key, stored []byte) ([]byte, error) {
	if v := s.atRest.Load(); v != nil && v.Encrypted(key) {
		return v.Decrypt(key, stored)
	}
	return stored, nil
}

// HasValuesUnder reports whether any key starts with one of prefixes (for
// refusing to encrypt a store that already holds clear values there).
func (s *Store) HasValuesUnder(prefixes []string) (bool, error) {
	found := false
	for _, p := range prefixes {
		if found || p == "" || strings.HasPrefix(p, PrefixMeta) {
			continue
		}
		if err := s.scan([]byte(p), false, func(_, _ []byte) error { found = true; return ErrStop }); err != nil {
			return false, err
		}
	}
	return found, nil
}

// HasVault reports whether a vault was ever created in s.
func (s *Store) HasVault() (bool, error) { return s.Has(vaultParamsKey) }
