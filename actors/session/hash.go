package session

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/zeebo/blake3"
)

// HashSize is the size of every hash in this package.
const HashSize = 32

// Hash is a 32-byte digest: BLAKE3-256 for DAG nodes and payloads,
// SHA-256 for the transparency log (log.go).
type Hash [HashSize]byte

// String returns the lower-case hex encoding.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses exactly 64 lower-case hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("%w: hash has %d hex digits, want %d", ErrMalformed, len(s), 2*HashSize)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return h, fmt.Errorf("%w: hash has non lower-case hex digit %q at %d", ErrMalformed, c, i)
		}
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return h, nil
}

// MarshalText encodes the hash as lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses lower-case hex (see ParseHash).
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Domain-separation contexts. Each canonical encoding starts with its
// context as a one-byte length followed by the ASCII bytes, so encodings of
// different kinds can never be equal.
const (
	ctxNode       = "bizra/session/dag-node/v1"
	ctxPayload    = "bizra/session/payload/v1"
	ctxRoot       = "bizra/session/root/v1"
	ctxLogEntry   = "bizra/session/log-entry/v1"
	ctxCheckpoint = "bizra/session/checkpoint/v1"
)

// Canonical encoding primitives: integers are big-endian, variable-length
// fields are preceded by their length.
func appendContext(b []byte, ctx string) []byte {
	b = append(b, byte(len(ctx)))
	return append(b, ctx...)
}

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

func appendBytes(b, v []byte) []byte {
	b = appendU64(b, uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

// HashPayload returns the BLAKE3-256 payload hash of data:
// BLAKE3(ctx("bizra/session/payload/v1") || u64(len(data)) || data).
func HashPayload(data []byte) Hash {
	h := blake3.New()
	var hdr [1 + len(ctxPayload) + 8]byte
	b := appendContext(hdr[:0], ctxPayload)
	b = appendU64(b, uint64(len(data)))
	h.Write(b)
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// RootPayload is the payload hash of a session's root node, binding the
// session id: BLAKE3(ctx("bizra/session/root/v1") || u32(len(id)) || id).
func RootPayload(sessionID string) Hash {
	b := appendContext(nil, ctxRoot)
	b = appendString(b, sessionID)
	return blake3.Sum256(b)
}
