// Package pci implements the blueprint's PCI (proof-carrying inference)
// envelopes (§4.6): a messages.Envelope carries a payload byte for byte,
// with the signer's Ed25519 key and signature over every header field and
// the payload, a timestamp and TTL, an ihsan and an SNR score, and a
// nonce. Seal makes one; a Verifier checks one. Nothing here does I/O
// except LoadOrCreateKey, and nothing reads the clock: the caller passes
// now.
//
// # What is signed
//
// The signature never covers a protobuf encoding (which is not canonical).
// It covers the 45 byte message
//
//	"bizra/pci/v1" || 0x00 || D
//
// where D is the 32 byte BLAKE3 hash in derive_key mode with context
// string "bizra/pci/v1 envelope digest" (so D cannot collide with any
// other BLAKE3 use) of these fields, in order, integers big-endian:
//
//	u32  version                       (1)
//	u32  agent_type                    (enum value: 1 USER, 2 MODEL, 3 SOVEREIGN)
//	u32  len(payload_type) || payload_type (UTF-8 bytes)
//	u64  len(payload)      || payload      (exactly as transmitted)
//	u32  len(signer_public_key) || signer_public_key (32 bytes)
//	i64  timestamp.seconds (two's complement) || u32 timestamp.nanos
//	u32  ttl_seconds
//	u64  IEEE-754 bits of ihsan_score
//	u64  IEEE-754 bits of snr_score
//	u32  len(nonce) || nonce           (16 bytes)
//
// Every field except the signature is covered; variable-length fields are
// length-prefixed so no two field tuples share an encoding. Digest and
// SignedMessage compute these.
//
// # Ed25519 rules
//
// Signatures are checked under RFC 8032 strict rules (§5.1.7): S must be
// canonical (S < L), A and R must be canonical encodings (y < p, and no
// "negative zero" x), and the cofactored equation [8][S]B = [8]R + [8][k]A
// is used, which RFC 8032 permits. In addition, A and R of small order
// (the eight points of order 1, 2, 4, 8) are rejected: a small-order key
// admits universal forgeries under the cofactored equation, and refusing
// small-order R costs nothing. Mixed-order keys (a point of order L plus a
// torsion point) are accepted, since they cannot be told apart cheaply and
// do not allow forgeries.
//
// The cofactored equation is chosen over the stdlib's cofactorless one
// because batch verification can only check the cofactored one: with it,
// Verify and VerifyBatch accept exactly the same set of signatures (the
// stdlib crypto/ed25519 and this package disagree on mixed-order-key
// signatures with a torsion component, which the stdlib refuses). ZIP-215
// is not used because it accepts non-canonical encodings and small-order
// keys, which make signatures malleable and keys forgeable; this package
// needs unforgeability and non-malleability, not consensus compatibility
// with Zcash. Signing uses crypto/ed25519, whose signatures satisfy these
// rules; verification uses curve25519-voi with these options.
//
// # Verification order and reject codes
//
// Verify applies, in this order, and returns a *RejectError with the first
// failing code (the blueprint's R001..R005; there are no others):
//
//  1. R005 MALFORMED_ENVELOPE: nil; version != 1; agent type not USER,
//     MODEL or SOVEREIGN; empty payload type; signer key not 32 bytes;
//     signature not 64 bytes; missing or invalid timestamp; ttl_seconds 0
//     or above Config.MaxTTL; nonce not 16 bytes; ihsan or snr NaN or
//     outside [0,1]. These make the later checks meaningless.
//  2. R001 TTL_EXPIRED: timestamp + ttl <= now. Also a timestamp more than
//     Config.ClockSkew ahead of now (detail ErrFutureTimestamp): the
//     envelope is outside its validity window [timestamp - skew,
//     timestamp + ttl), which is what R001 reports; it is well formed, so
//     R005 would mislead, and the remedy (re-seal with a correct clock) is
//     the same as for an expired one.
//  3. R002 INVALID_SIGNATURE: the signature does not verify under the rules
//     above (small-order or non-canonical keys land here). Also a valid
//     signature from a key the TrustPolicy does not allow (detail
//     ErrUntrustedSigner): the signature is not one this node accepts.
//  4. R003 IHSAN_BELOW_THRESHOLD: ihsan_score < Config.IhsanThreshold.
//  5. R004 SNR_BELOW_THRESHOLD: snr_score < Config.SNRThreshold, or, with
//     Config.MeasureSNR, SNR(payload) < Config.SNRThreshold.
//  6. Replay, reported as R001 TTL_EXPIRED (detail ErrReplay): the
//     (signer key, nonce) pair was accepted before and that envelope has
//     not expired. A replay is a freshness failure (the envelope's single
//     use within its lifetime is spent), which is R001's meaning; R002
//     would claim a forgery, R005 a broken structure. It is checked last
//     so that only envelopes that passed every other check are recorded,
//     so a forged envelope carrying a stolen nonce cannot block the
//     genuine one. When the bounded replay cache is full of live entries
//     the verifier fails closed with R001 (detail ErrReplayCacheFull)
//     rather than forget an entry and re-open a replay window.
//
// The seed lists "validate domain-separated digest" as a fifth step; here
// the digest is what the signature covers, so step 3 validates it.
//
// # Scores
//
// ihsan_score is supplied by the sealer: the FATE gate's composite score of
// the request (the gate's Fidelity, Accountability, Transparency and
// Ethics dimensions combined), in [0,1]. The verifier only compares it to
// the threshold.
//
// snr_score is SNR(payload), a measure of the payload bytes (see SNR):
//
//	SNR = E(ρ) · N(ν)
//	ρ = min(1, H_MM / 8)
//	H_MM = -Σ p_i log2 p_i + (K-1)/(2n ln 2)   (byte histogram, K symbols seen)
//	E(ρ) = 0 for ρ ≤ 0.15, (ρ-0.15)/0.2 up to 0.35, 1 up to 0.90,
//	       (1-ρ)/0.1 up to 1, 0 beyond
//	ν = 1 - (bytes covered by repeats of ≥ 8 bytes of earlier content) / n
//	N(ν) = min(1, ν / 0.25)
//
// Text, JSON and protobuf TaskCards score at or near 1 (their normalized entropy sits
// in the plateau and they are mostly new content); constant payloads and
// tiny alphabets score 0 through E, uniformly random bytes through E
// (ρ → 1, once there are enough bytes to show it: n bytes show at most
// log2 n bits, so under about 256 bytes random data cannot be told from
// text and is not rejected on that evidence), and a payload that is many
// copies of the same content through N.
// Payloads under 2 bytes score 0. Compressed or encrypted payloads look
// like noise and score low: a sender of such data should not claim a high
// SNR, and a verifier that expects it sets MeasureSNR false.
//
// # Keys and trust
//
// LoadOrCreateKey keeps a node's or client's identity as a PEM file
// holding the 32 byte seed, mode 0600 in a 0700 directory, and refuses a
// file other users can read. PublicKeyID prints a key as
// "ed25519:<base64url>". Config.Trust is AnySigner (accept any valid
// signer; the caller records PublicKeyID) or Allowlist(keys...).
package pci
