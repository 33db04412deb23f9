// Package session implements the session state machine and its
// Merkle-DAG (blueprint §4.3, §5.3), lineage proofs that verify offline,
// and an append-only, RFC 9162-shaped log of session heads with signed
// checkpoints.
//
// The package is a pure core: no clocks (every operation that records a
// time takes now), no goroutines, and storage behind NodeStore (MemStore
// in memory; a durable store implements the same two methods).
//
// # States
//
//	init -> active -> computing -> validated -> committed
//	active -> active   (branch, merge)
//
// Any other change is ErrIllegalTransition. A committed session is
// immutable (ErrCommitted).
//
// # Merkle-DAG
//
// A Node is (state, timestamp, parent hashes, payload hash). Its hash is
// BLAKE3-256 of its canonical encoding, which starts with the
// domain-separation context "bizra/session/dag-node/v1" (a one-byte length
// and the ASCII bytes) and then has fixed-size big-endian fields and a
// parent count (see node.go). Parents are kept in strictly ascending byte
// order, so a merge hashes the same whatever order its branches were given
// in. Payload hashes are BLAKE3-256 under their own context
// (HashPayload); the root's payload is RootPayload(session id), which
// binds the id into every hash of the session.
//
// Session.Branch adds an active child beside the head; Session.Merge adds
// an active node with several parents. Proof returns the lineage of the
// head (every ancestor, root first, head last), and VerifyProof checks it
// with nothing else: hashes, parent links, transitions, timestamps, the
// root binding and that every node is an ancestor of the head. Proofs have
// a JSON form (Proof.MarshalJSON, DecodeProofJSON) whose decoder rejects
// anything that is not exactly that form.
//
// # Session-head log
//
// Log is a Merkle tree in the RFC 9162 §2.1 shape, using SHA-256 as
// RFC 9162 does: leaf hash SHA-256(0x00 || entry), node hash
// SHA-256(0x01 || left || right). Its leaves are LogEntry encodings
// (session id, head, state, time). It gives tree heads, inclusion proofs
// and consistency proofs; VerifyInclusion and VerifyConsistency implement
// the verification algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2. A
// Checkpoint (origin, size, root, time) is signed with Ed25519 over a
// domain-separated encoding ("bizra/session/checkpoint/v1"), so a log
// whose history was rewritten no longer matches the checkpoints it signed.
// A Receipt (entry, index, inclusion path, signed checkpoint) travels with
// a proof to show its head was logged; it has a strict JSON form too
// (DecodeReceiptJSON), and VerifyReceiptFor ties it to a proof.
//
// Log keeps its leaf hashes in memory: Root is O(log n) from a frontier of
// perfect subtrees, while RootAt and the proofs recompute subtrees, O(n).
package session
