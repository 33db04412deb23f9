package pci

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/bizra/bizra/messages"
	"github.com/zeebo/blake3"
)

const (
	// Version is the envelope format version this package seals and accepts.
	Version = 1
	// NonceSize is the length of an envelope nonce.
	NonceSize = 16
	// SignatureContext prefixes the message Ed25519 signs.
	SignatureContext = "bizra/pci/v1"
	// DigestContext is the BLAKE3 derive_key context of the digest.
	DigestContext = "bizra/pci/v1 envelope digest"
	// DigestSize is the digest length in bytes.
	DigestSize = 32
	// SignedMessageSize is the length of the message Ed25519 signs:
	// SignatureContext, a zero byte, and the digest.
	SignedMessageSize = len(SignatureContext) + 1 + DigestSize
)

var hasherPool = sync.Pool{New: func() any { return blake3.NewDeriveKey(DigestContext) }}

// Digest returns the domain-separated digest of env's signed fields (every
// field but signature); doc.go gives the byte layout. Absent fields hash
// as their zero values.
func Digest(env *messages.Envelope) [DigestSize]byte {
	h := hasherPool.Get().(*blake3.Hasher)
	h.Reset()
	var b [8]byte
	u32 := func(v uint32) {
		binary.BigEndian.PutUint32(b[:4], v)
		h.Write(b[:4])
	}
	u64 := func(v uint64) {
		binary.BigEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	u32(env.GetVersion())
	u32(uint32(env.GetAgentType()))
	u32(uint32(len(env.GetPayloadType())))
	h.WriteString(env.GetPayloadType())
	u64(uint64(len(env.GetPayload())))
	h.Write(env.GetPayload())
	u32(uint32(len(env.GetSignerPublicKey())))
	h.Write(env.GetSignerPublicKey())
	ts := env.GetTimestamp()
	u64(uint64(ts.GetSeconds()))
	u32(uint32(ts.GetNanos()))
	u32(env.GetTtlSeconds())
	u64(math.Float64bits(env.GetIhsanScore()))
	u64(math.Float64bits(env.GetSnrScore()))
	u32(uint32(len(env.GetNonce())))
	h.Write(env.GetNonce())
	var out [DigestSize]byte
	h.Sum(out[:0])
	hasherPool.Put(h)
	return out
}

// SignedMessage returns the exact bytes the envelope signature covers:
// SignatureContext || 0x00 || Digest(env).
func SignedMessage(env *messages.Envelope) [SignedMessageSize]byte {
	var m [SignedMessageSize]byte
	n := copy(m[:], SignatureContext)
	m[n] = 0
	d := Digest(env)
	copy(m[n+1:], d[:])
	return m
}
