package pci

import (
	"fmt"
	"math"
	"time"
)

// Blueprint constants (§1.2).
const (
	// DefaultIhsanThreshold is IHSAN_THRESHOLD.
	DefaultIhsanThreshold = 0.95
	// DefaultSNRThreshold is SNR_THRESHOLD.
	DefaultSNRThreshold = 0.85
	// DefaultClockSkew is CLOCK_SKEW.
	DefaultClockSkew = 30 * time.Second
	// DefaultMaxTTL is the longest lifetime a verifier accepts.
	DefaultMaxTTL = 10 * time.Minute
	// DefaultReplayCacheSize bounds the replay cache (about 100 bytes an
	// entry, so roughly 13 MiB at this size: 131,072 envelopes alive within
	// their TTL at once).
	DefaultReplayCacheSize = 1 << 17
)

// Config configures a Verifier.
type Config struct {
	// IhsanThreshold: an envelope whose ihsan_score is below it is rejected
	// with R003. In [0,1].
	IhsanThreshold float64
	// SNRThreshold: an envelope whose snr_score (or, with MeasureSNR, the
	// measured SNR of its payload) is below it is rejected with R004. In [0,1].
	SNRThreshold float64
	// MeasureSNR makes the verifier recompute SNR(payload) and apply
	// SNRThreshold to it as well as to the claimed snr_score, so a signer
	// cannot claim a score its payload does not have.
	MeasureSNR bool
	// ClockSkew: how far an envelope's timestamp may lie ahead of the
	// verifier's clock before it is rejected (R001). Must be >= 0.
	ClockSkew time.Duration
	// MaxTTL: the longest ttl_seconds accepted; a longer one is R005. It
	// also bounds how long the replay cache keeps an entry. Must be >= 1s.
	MaxTTL time.Duration
	// ReplayCacheSize: the most live (signer, nonce) entries the replay
	// cache keeps. When it is full of unexpired entries new envelopes are
	// rejected (R001, ErrReplayCacheFull) rather than forgetting one.
	// Size it to peak accepted envelopes/s x (MaxTTL + ClockSkew). Must be > 0.
	ReplayCacheSize int
	// Trust decides which signers are accepted after their signature
	// verifies; the zero value accepts any signer (AnySigner).
	Trust TrustPolicy
}

// DefaultConfig returns the blueprint's thresholds (ihsan 0.95, SNR 0.85,
// 30 s clock skew), a 10 minute MaxTTL, a 2^20 entry replay cache,
// MeasureSNR on and any signer trusted.
func DefaultConfig() Config {
	return Config{
		IhsanThreshold:  DefaultIhsanThreshold,
		SNRThreshold:    DefaultSNRThreshold,
		MeasureSNR:      true,
		ClockSkew:       DefaultClockSkew,
		MaxTTL:          DefaultMaxTTL,
		ReplayCacheSize: DefaultReplayCacheSize,
		Trust:           AnySigner(),
	}
}

// Validate returns an error wrapping ErrInvalidConfig that names the first
// invalid field, or nil.
func (c Config) Validate() error {
	unit := func(name string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("%w: %s must be in [0,1], got %v", ErrInvalidConfig, name, v)
		}
		return nil
	}
	if err := unit("IhsanThreshold", c.IhsanThreshold); err != nil {
		return err
	}
	if err := unit("SNRThreshold", c.SNRThreshold); err != nil {
		return err
	}
	if c.ClockSkew < 0 {
		return fmt.Errorf("%w: ClockSkew must be >= 0, got %v", ErrInvalidConfig, c.ClockSkew)
	}
	if c.MaxTTL < time.Second || c.MaxTTL > math.MaxUint32*time.Second {
		return fmt.Errorf("%w: MaxTTL must be in [1s, 2^32-1 s], got %v", ErrInvalidConfig, c.MaxTTL)
	}
	if c.ReplayCacheSize <= 0 {
		return fmt.Errorf("%w: ReplayCacheSize must be > 0, got %d", ErrInvalidConfig, c.ReplayCacheSize)
	}
	if err := c.Trust.validate(); err != nil {
		return fmt.Errorf("%w: Trust: %v", ErrInvalidConfig, err)
	}
	return nil
}
