package pci

import (
	"crypto/ed25519"
	"errors"
	"math"
	"time"

	"github.com/bizra/bizra/messages"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
	"google.golang.org/protobuf/proto"
)

// Verifier checks envelopes. It is safe for concurrent use; its only
// state is the replay cache. Verification is a pure function of the
// envelope, the Config, the replay cache and the caller's now.
type Verifier struct {
	cfg    Config
	replay *replayCache
	keys   keyCache
}

// NewVerifier returns a Verifier for cfg, or cfg.Validate's error.
func NewVerifier(cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Verifier{cfg: cfg, replay: newReplayCache(cfg.ReplayCacheSize, cfg.MaxTTL+cfg.ClockSkew)}, nil
}

// Config returns the verifier's configuration.
func (v *Verifier) Config() Config { return v.cfg }

// ReplayCacheLen returns the number of (signer, nonce) entries held.
func (v *Verifier) ReplayCacheLen() int { return v.replay.len() }

// Open decodes a protobuf-encoded envelope and verifies it. Bytes that do
// not decode are R005.
func (v *Verifier) Open(data []byte, now time.Time) (*messages.Envelope, error) {
	env := new(messages.Envelope)
	if err := proto.Unmarshal(data, env); err != nil {
		return nil, rejectf(CodeMalformedEnvelope, "decoding envelope: %v", err)
	}
	if err := v.Verify(env, now); err != nil {
		return nil, err
	}
	return env, nil
}

// Verify checks env at time now, in the blueprint's order: structure
// (R005), freshness (R001), signature and trust policy (R002), ihsan
// (R003), SNR (R004), then replay (R001). It returns nil or a
// *RejectError. An accepted envelope's (signer, nonce) is recorded, so
// verifying the same envelope again before it expires fails.
func (v *Verifier) Verify(env *messages.Envelope, now time.Time) error {
	if err := v.precheck(env, now); err != nil {
		return err
	}
	msg := SignedMessage(env)
	ok := false
	if x := v.keys.get(env.SignerPublicKey); x != nil {
		ok = voi.VerifyExpandedWithOptions(x, msg[:], env.Signature, strictVerify)
	}
	return v.postcheck(env, ok, now)
}

// VerifyBatch verifies envs at time now and returns one result per
// envelope, each exactly what Verify would return for it in slice order
// (a later duplicate of an earlier accepted envelope is a replay). The
// signatures of all envelopes that pass the structure and freshness
// checks are checked together with Ed25519 batch verification; when the
// batch fails each signature is checked alone, so the bad ones are named.
func (v *Verifier) VerifyBatch(envs []*messages.Envelope, now time.Time) []error {
	errs := make([]error, len(envs))
	idx := make([]int, 0, len(envs))
	bv := voi.NewBatchVerifierWithCapacity(len(envs))
	for i, env := range envs {
		if err := v.precheck(env, now); err != nil {
			errs[i] = err
			continue
		}
		msg := SignedMessage(env)
		if x := v.keys.get(env.SignerPublicKey); x != nil {
			bv.AddExpandedWithOptions(x, msg[:], env.Signature, strictVerify)
		} else {
			bv.AddWithOptions(voi.PublicKey(env.SignerPublicKey), msg[:], env.Signature, strictVerify)
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return errs
	}
	_, valid := bv.Verify(nil)
	for j, i := range idx {
		errs[i] = v.postcheck(envs[i], valid[j], now)
	}
	return errs
}

// precheck runs the structure (R005) and freshness (R001) checks.
func (v *Verifier) precheck(env *messages.Envelope, now time.Time) error {
	if err := checkStructure(env, v.cfg.MaxTTL); err != nil {
		return err
	}
	return v.checkFresh(env, now)
}

func checkStructure(env *messages.Envelope, maxTTL time.Duration) error {
	const c = CodeMalformedEnvelope
	switch {
	case env == nil:
		return reject(c, "nil envelope")
	case env.Version != Version:
		return rejectf(c, "version %d, want %d", env.Version, Version)
	case !knownAgentType(env.AgentType):
		return rejectf(c, "agent type %v", env.AgentType)
	case env.PayloadType == "":
		return reject(c, "empty payload type")
	case len(env.SignerPublicKey) != ed25519.PublicKeySize:
		return rejectf(c, "signer public key is %d bytes, want %d", len(env.SignerPublicKey), ed25519.PublicKeySize)
	case len(env.Signature) != ed25519.SignatureSize:
		return rejectf(c, "signature is %d bytes, want %d", len(env.Signature), ed25519.SignatureSize)
	case env.Timestamp == nil:
		return reject(c, "missing timestamp")
	case env.Timestamp.CheckValid() != nil:
		return rejectf(c, "invalid timestamp: %v", env.Timestamp.CheckValid())
	case env.TtlSeconds == 0:
		return reject(c, "ttl_seconds is 0")
	case time.Duration(env.TtlSeconds)*time.Second > maxTTL:
		return rejectf(c, "ttl %ds exceeds the maximum %v", env.TtlSeconds, maxTTL)
	case len(env.Nonce) != NonceSize:
		return rejectf(c, "nonce is %d bytes, want %d", len(env.Nonce), NonceSize)
	case !unitScore(env.IhsanScore):
		return rejectf(c, "ihsan_score %v not in [0,1]", env.IhsanScore)
	case !unitScore(env.SnrScore):
		return rejectf(c, "snr_score %v not in [0,1]", env.SnrScore)
	}
	return nil
}

// expiryNs returns the envelope's expiry in unix ns, saturating.
func expiryNs(env *messages.Envelope) int64 {
	ts := env.Timestamp
	s := ts.Seconds + int64(env.TtlSeconds)
	if s > math.MaxInt64/1_000_000_000-1 {
		return math.MaxInt64
	}
	if s < math.MinInt64/1_000_000_000+1 {
		return math.MinInt64
	}
	return s*1_000_000_000 + int64(ts.Nanos)
}

func (v *Verifier) checkFresh(env *messages.Envelope, now time.Time) error {
	ts := env.Timestamp.AsTime()
	exp := ts.Add(time.Duration(env.TtlSeconds) * time.Second)
	if !now.Before(exp) {
		return rejectf(CodeTTLExpired, "expired at %s (now %s)", exp.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	if ahead := ts.Sub(now); ahead > v.cfg.ClockSkew {
		return rejectDetail(CodeTTLExpired, ErrFutureTimestamp,
			"timestamp "+ahead.String()+" ahead of now exceeds the clock skew "+v.cfg.ClockSkew.String())
	}
	return nil
}

// postcheck runs the signature verdict, trust policy, scores and replay.
func (v *Verifier) postcheck(env *messages.Envelope, sigOK bool, now time.Time) error {
	if !sigOK {
		return reject(CodeInvalidSignature, "signature does not verify under strict Ed25519 rules")
	}
	if !v.cfg.Trust.Allowed(env.SignerPublicKey) {
		return rejectDetail(CodeInvalidSignature, ErrUntrustedSigner, "signer "+PublicKeyID(env.SignerPublicKey)+" is not in the allowlist")
	}
	if env.IhsanScore < v.cfg.IhsanThreshold {
		return rejectf(CodeIhsanBelowThreshold, "ihsan_score %.4f < %.4f", env.IhsanScore, v.cfg.IhsanThreshold)
	}
	if env.SnrScore < v.cfg.SNRThreshold {
		return rejectf(CodeSNRBelowThreshold, "snr_score %.4f < %.4f", env.SnrScore, v.cfg.SNRThreshold)
	}
	if v.cfg.MeasureSNR {
		if m := SNR(env.Payload); m < v.cfg.SNRThreshold {
			return rejectf(CodeSNRBelowThreshold, "measured payload SNR %.4f < %.4f (claimed %.4f)", m, v.cfg.SNRThreshold, env.SnrScore)
		}
	}
	var k replayKey
	copy(k[:32], env.SignerPublicKey)
	copy(k[32:], env.Nonce)
	if err := v.replay.add(k, expiryNs(env), now.UnixNano()); err != nil {
		reason := "nonce already accepted from this signer within the envelope's TTL"
		if errors.Is(err, ErrReplayCacheFull) {
			reason = "replay cache full; retry later"
		}
		return rejectDetail(CodeTTLExpired, err, reason)
	}
	return nil
}
