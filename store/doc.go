// Package store is the node's storage: one pebble database per node under
// the data directory, shared by the actors that own data, with group
// commit for durable writes and a vault that encrypts values at rest.
// It is a leaf: it imports no other BIZRA package.
//
// # Keys
//
// Every key starts with its owner's prefix, and only the owner writes
// under it:
//
//	sess/<session id>       session head records (Heads)
//	dag/<64 hex digits>     session DAG nodes by BLAKE3 hash (DAGStore)
//	log/...                 session-head log leaves and checkpoints
//	ledger/...              market ledger
//	lic/...                 licenses
//	pat/...                 federation patterns
//	meta/...                the store's own records (vault parameters)
//
// Values are protobuf or canonical byte encodings chosen by the owner;
// the store never interprets them (except its own sess/ and meta/
// records). Key returns prefix+name; OwnerOf tells a key's prefix.
//
// # Durability
//
// A write made with Sync, through a Committer, or by DAGStore and Heads
// returns only after the write-ahead log holding it has been fsynced: it
// survives kill -9 and power loss. A write made with NoSync is visible at
// once but may be lost in a crash until a later synced write, Sync or
// Close. Rule: every write that acknowledges something to a user (a
// committed session, a ledger entry, a reply) is synced before the
// acknowledgement is sent.
//
// Batches are atomic: after a crash all of a batch's operations are
// present or none. A Committer gathers the synced writes that arrive
// while a group is being synced into the next group: one pebble batch and
// one fsync (group commit). Each caller still waits for its own write, and
// each caller's Batch stays atomic. Pebble's own commit pipeline already
// lets concurrent synced writes share an fsync, so the Committer's gain
// is against writes made one at a time, not against many goroutines
// calling Put with Sync at once (see BenchmarkDurableAppends).
//
// # Sessions
//
// DAGStore keeps DAG nodes under dag/<hex hash> and Heads keeps each
// session's head, state and branch tips under sess/<id>, both writing
// through a Committer. Package actors/session/durable adapts them to the session
// package's NodeStore and Hash types, for session.Resume after a restart
// or when a passivated session is needed again.
//
// Open takes the directory's lock file; a second Open of the same
// directory, from this process or another, fails with ErrLocked until
// Close. Close stops the store's Committers, waits for operations in
// flight, syncs and releases the lock; every later call returns ErrClosed.
//
// # Vault
//
// Vault encrypts values under chosen prefixes with XChaCha20-Poly1305.
// The 256-bit key comes from Argon2id over a passphrase and a random salt
// kept in meta/vault/params, or from a 32-byte key file of mode 0600. A
// sealed constant in meta/vault/check tells a wrong passphrase
// (ErrWrongKey) from a damaged value (ErrDecrypt). Each value's
// additional data is its key, so a value moved to another key does not
// decrypt. Keys are not encrypted: do not put secrets in key names.
package store
