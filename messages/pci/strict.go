package pci

import (
	"crypto/ed25519"

	"github.com/oasisprotocol/curve25519-voi/curve"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// strictVerify holds the Ed25519 rules every signature is checked under
// (see doc.go): canonical A and R, S < L, A and R not of small order, and
// the cofactored equation [8][S]B = [8]R + [8][k]A. Batch and single
// verification use the same options, so they accept exactly the same set.
var strictVerify = &voi.Options{Verify: &voi.VerifyOptions{
	AllowSmallOrderA:   false,
	AllowSmallOrderR:   false,
	AllowNonCanonicalA: false,
	AllowNonCanonicalR: false,
	CofactorlessVerify: false,
}}

// signerKeys caches the expanded form of the keys VerifySignature sees
// (the few peers and nodes a process talks to).
var signerKeys keyCache

// VerifySignature reports whether sig is a valid signature of msg by pub
// under this package's strict rules.
func VerifySignature(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	x := signerKeys.get(pub)
	return x != nil && voi.VerifyExpandedWithOptions(x, msg, sig, strictVerify)
}

// ValidPublicKey reports whether pub is acceptable as a signer key: 32
// bytes, the canonical encoding of a curve point that is not of small
// order (the same key rules VerifySignature applies).
func ValidPublicKey(pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(pub); err != nil {
		return false
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return false
	}
	return c.IsCanonicalVartime() && !p.IsSmallOrder()
}
