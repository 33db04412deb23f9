package pci

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Seal wraps payload (kept byte for byte) in a version 1 envelope signed
// by key. now is the envelope timestamp; ttl, a whole number of seconds
// in [1 s, 2^32-1 s], its lifetime; ihsan and snr, each in [0,1], its
// scores (ihsan is the caller's gate score of the request, snr normally
// SNR(payload)). rand supplies the 16 byte nonce; nil means crypto/rand.
//
// Errors wrap ErrInvalidKey or ErrInvalidInput, or are rand's error.
func Seal(key ed25519.PrivateKey, agentType messages.AgentType, payloadType string, payload []byte,
	ihsan, snr float64, ttl time.Duration, now time.Time, rand io.Reader) (*messages.Envelope, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes, want %d", ErrInvalidKey, len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	if !ValidPublicKey(pub) {
		return nil, fmt.Errorf("%w: public key is not a valid signer key", ErrInvalidKey)
	}
	if !knownAgentType(agentType) {
		return nil, fmt.Errorf("%w: agent type %v", ErrInvalidInput, agentType)
	}
	if payloadType == "" {
		return nil, fmt.Errorf("%w: empty payload type", ErrInvalidInput)
	}
	if !unitScore(ihsan) {
		return nil, fmt.Errorf("%w: ihsan %v not in [0,1]", ErrInvalidInput, ihsan)
	}
	if !unitScore(snr) {
		return nil, fmt.Errorf("%w: snr %v not in [0,1]", ErrInvalidInput, snr)
	}
	if ttl < time.Second || ttl%time.Second != 0 || ttl/time.Second > math.MaxUint32 {
		return nil, fmt.Errorf("%w: ttl %v is not a whole number of seconds in [1s, 2^32-1 s]", ErrInvalidInput, ttl)
	}
	ts := timestamppb.New(now)
	if err := ts.CheckValid(); err != nil {
		return nil, fmt.Errorf("%w: timestamp: %v", ErrInvalidInput, err)
	}
	nonce := make([]byte, NonceSize)
	if rand == nil {
		rand = cryptoRand
	}
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("pci: reading nonce: %w", err)
	}
	env := &messages.Envelope{
		Version:         Version,
		AgentType:       agentType,
		PayloadType:     payloadType,
		Payload:         payload,
		SignerPublicKey: pub,
		Timestamp:       ts,
		TtlSeconds:      uint32(ttl / time.Second),
		IhsanScore:      ihsan,
		SnrScore:        snr,
		Nonce:           nonce,
	}
	msg := SignedMessage(env)
	env.Signature = ed25519.Sign(key, msg[:])
	return env, nil
}

var cryptoRand = rand.Reader

func knownAgentType(t messages.AgentType) bool {
	switch t {
	case messages.AgentType_AGENT_TYPE_USER, messages.AgentType_AGENT_TYPE_MODEL, messages.AgentType_AGENT_TYPE_SOVEREIGN:
		return true
	}
	return false
}

func unitScore(v float64) bool { return !math.IsNaN(v) && v >= 0 && v <= 1 }
