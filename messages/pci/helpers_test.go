package pci

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var testNow = time.Date(2026, 11, 28, 4, 0, 0, 123456789, time.UTC)

// testKey derives a deterministic key from a label.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("pci test key " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// countingReader yields deterministic, non-repeating bytes (nonces): each
// Read fills p from SHA-256 of a counter.
type countingReader struct{ n uint64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for off := 0; off < len(p); {
		r.n++
		blk := sha256.Sum256(binary.BigEndian.AppendUint64(nil, r.n))
		off += copy(p[off:], blk[:])
	}
	return len(p), nil
}

// testCard is a realistic TaskCard payload.
func testCard() []byte {
	card := &messages.TaskCard{
		Id:         "01JD3X7K2M9Q4R8T6V0W5Y1Z3A",
		Capability: "echo",
		Input:      []byte("summarise the quarterly report and list the open risks"),
		MediaType:  "text/plain",
		Parameters: map[string]string{"lang": "en", "max_tokens": "512"},
		SessionId:  "sess-7f3a",
		TraceId:    "4bf92f3577b34da6a3ce929d0e0e4736",
		CreatedAt:  timestamppb.New(testNow),
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(card)
	if err != nil {
		panic(err)
	}
	return b
}

func sealAt(t testing.TB, key ed25519.PrivateKey, payload []byte, ttl time.Duration, at time.Time, rnd *countingReader) *messages.Envelope {
	t.Helper()
	env, err := Seal(key, messages.AgentType_AGENT_TYPE_USER, "bizra.v1.TaskCard", payload, 0.97, SNR(payload), ttl, at, rnd)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return env
}

func newTestVerifier(t testing.TB, mut func(*Config)) *Verifier {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ReplayCacheSize = 1 << 12
	if mut != nil {
		mut(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("want accepted, got %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want %s, got accepted", code)
	}
	var re *RejectError
	if !errors.As(err, &re) {
		t.Fatalf("want *RejectError %s, got %T %v", code, err, err)
	}
	if re.Code != code || re.Name != codeNames[code] {
		t.Fatalf("want %s %s, got %s %s (%v)", code, codeNames[code], re.Code, re.Name, err)
	}
	if !errors.Is(err, codeSentinels[code]) {
		t.Fatalf("errors.Is(%v, sentinel %s) = false", err, code)
	}
}

func clone(env *messages.Envelope) *messages.Envelope {
	return proto.Clone(env).(*messages.Envelope)
}

type ed25519PublicKey = ed25519.PublicKey

func ed25519Sign(k ed25519.PrivateKey, m []byte) []byte { return ed25519.Sign(k, m) }
