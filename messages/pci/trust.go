package pci

import (
	"crypto/ed25519"
	"fmt"
)

// TrustPolicy decides which signers a Verifier accepts once their
// signature is valid. The zero value is AnySigner.
type TrustPolicy struct {
	allowlist bool
	keys      map[[ed25519.PublicKeySize]byte]struct{}
	bad       error
}

// AnySigner accepts every signer whose signature verifies; the caller
// records the identity (PublicKeyID of Envelope.SignerPublicKey).
func AnySigner() TrustPolicy { return TrustPolicy{} }

// Allowlist accepts only the listed keys. An empty list accepts nobody.
// A key that is not 32 bytes makes the policy invalid (Config.Validate
// reports it).
func Allowlist(keys ...ed25519.PublicKey) TrustPolicy {
	p := TrustPolicy{allowlist: true, keys: make(map[[ed25519.PublicKeySize]byte]struct{}, len(keys))}
	for i, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			p.bad = fmt.Errorf("allowlist key %d is %d bytes, want %d", i, len(k), ed25519.PublicKeySize)
			continue
		}
		p.keys[[ed25519.PublicKeySize]byte(k)] = struct{}{}
	}
	return p
}

// IsAllowlist reports whether the policy only accepts listed keys.
func (p TrustPolicy) IsAllowlist() bool { return p.allowlist }

// Allowed reports whether pub may sign envelopes under this policy.
func (p TrustPolicy) Allowed(pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	if !p.allowlist {
		return true
	}
	_, ok := p.keys[[ed25519.PublicKeySize]byte(pub)]
	return ok
}

func (p TrustPolicy) validate() error { return p.bad }
