package store

import "errors"

var (
	// ErrNotFound is returned for a key that has no value.
	ErrNotFound = errors.New("store: not found")
	// ErrClosed is returned by every operation on a closed Store, Committer
	// or Vault.
	ErrClosed = errors.New("store: closed")
	// ErrLocked is returned by Open when another Store (in this process or
	// another one) holds the directory.
	ErrLocked = errors.New("store: directory locked by another store")
	// ErrConfig is wrapped by Config and VaultConfig validation errors; the
	// message names the field.
	ErrConfig = errors.New("store: invalid config")
	// ErrEmptyKey is returned for a write or read with an empty key.
	ErrEmptyKey = errors.New("store: empty key")
	// ErrStop may be returned by a Scan callback to end the scan early
	// without an error.
	ErrStop = errors.New("store: stop scan")
	// ErrWrongKey is returned by OpenVault when the passphrase or key file
	// does not match the key the vault was created with.
	ErrWrongKey = errors.New("store: vault key does not match (wrong passphrase or key file)")
	// ErrDecrypt is returned when a vault value fails authentication: it was
	// altered, truncated, or moved from another key.
	ErrDecrypt = errors.New("store: vault value failed authentication")
	// ErrKeyFile is wrapped by key file problems: wrong size or a mode that
	// lets group or others read it.
	ErrKeyFile = errors.New("store: bad vault key file")
	// ErrReserved is returned by Vault for a write under PrefixMeta, which
	// holds the vault's own records.
	ErrReserved = errors.New("store: key prefix reserved for the store")
	// ErrCorrupt is returned for a stored record that does not decode.
	ErrCorrupt = errors.New("store: corrupt record")
)
