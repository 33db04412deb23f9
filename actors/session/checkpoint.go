package session

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

// Checkpoint is a tree head of the session-head log: its size and root at
// a time, for the log named Origin (for instance the node's id).
type Checkpoint struct {
	Origin    string
	Size      uint64
	Root      Hash
	Timestamp int64 // Unix nanoseconds
}

// SignedCheckpoint is a checkpoint with an Ed25519 signature over its
// SignedMessage.
type SignedCheckpoint struct {
	Checkpoint
	Signature []byte
}

// Checkpoint returns the current tree head of l for origin at time now.
func (l *Log) Checkpoint(origin string, now time.Time) Checkpoint {
	return Checkpoint{Origin: origin, Size: l.Size(), Root: l.Root(), Timestamp: now.UnixNano()}
}

// SignedMessage is the domain-separated encoding that is signed:
// ctx("bizra/session/checkpoint/v1") || u32 len(origin) || origin ||
// u64 size || root (32) || i64 timestamp.
func (c Checkpoint) SignedMessage() []byte {
	b := appendContext(nil, ctxCheckpoint)
	b = appendString(b, c.Origin)
	b = appendU64(b, c.Size)
	b = append(b, c.Root[:]...)
	return appendU64(b, uint64(c.Timestamp))
}

// SignCheckpoint signs c with key.
func SignCheckpoint(key ed25519.PrivateKey, c Checkpoint) SignedCheckpoint {
	return SignedCheckpoint{Checkpoint: c, Signature: ed25519.Sign(key, c.SignedMessage())}
}

// VerifyCheckpoint checks sc's signature under pub (crypto/ed25519.Verify:
// RFC 8032 verification, rejecting non-canonical S). Failures wrap
// ErrCheckpoint.
func VerifyCheckpoint(pub ed25519.PublicKey, sc SignedCheckpoint) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key is %d bytes, want %d", ErrCheckpoint, len(pub), ed25519.PublicKeySize)
	}
	if len(sc.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is %d bytes, want %d", ErrCheckpoint, len(sc.Signature), ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, sc.SignedMessage(), sc.Signature) {
		return fmt.Errorf("%w: bad signature on checkpoint %q size %d", ErrCheckpoint, sc.Origin, sc.Size)
	}
	return nil
}

// VerifyEntryInclusion checks that entry is leaf index of the signed
// checkpoint's tree, and the checkpoint's signature.
func VerifyEntryInclusion(pub ed25519.PublicKey, sc SignedCheckpoint, entry LogEntry, index uint64, proof []Hash) error {
	if err := VerifyCheckpoint(pub, sc); err != nil {
		return err
	}
	return VerifyInclusion(LeafHash(entry.Encode()), index, sc.Size, proof, sc.Root)
}

// VerifyExtension checks that the signed checkpoint newer extends older:
// both signatures, and the consistency proof between their trees.
func VerifyExtension(pub ed25519.PublicKey, older, newer SignedCheckpoint, proof []Hash) error {
	if err := VerifyCheckpoint(pub, older); err != nil {
		return err
	}
	if err := VerifyCheckpoint(pub, newer); err != nil {
		return err
	}
	if older.Origin != newer.Origin {
		return fmt.Errorf("%w: origins %q and %q differ", ErrCheckpoint, older.Origin, newer.Origin)
	}
	return VerifyConsistency(older.Size, newer.Size, older.Root, newer.Root, proof)
}
