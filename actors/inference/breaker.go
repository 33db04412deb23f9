package inference

import (
	"fmt"
	"time"
)

// BreakerState is a circuit breaker's state.
type BreakerState int

// States.
const (
	Closed   BreakerState = iota // requests flow
	HalfOpen                     // a limited number of probe requests may try
	Open                         // requests skip the backend
)

func (s BreakerState) String() string { return [...]string{"closed", "half-open", "open"}[s] }

// BreakerConfig tunes every backend's circuit breaker.
type BreakerConfig struct {
	// Failures is the number of consecutive failures that opens the circuit.
	Failures int `yaml:"failures" json:"failures"`
	// OpenFor is how long an open circuit skips the backend before letting
	// probes through (half-open).
	OpenFor time.Duration `yaml:"open_for" json:"open_for"`
	// Probes is how many requests may probe a half-open backend at once.
	Probes int `yaml:"probes" json:"probes"`
}

// DefaultBreakerConfig opens after 3 consecutive failures for 10 s, then
// lets one probe through.
func DefaultBreakerConfig() BreakerConfig {
	return BreakerConfig{Failures: 3, OpenFor: 10 * time.Second, Probes: 1}
}

// Validate checks the fields.
func (c BreakerConfig) Validate() error {
	switch {
	case c.Failures < 1:
		return fmt.Errorf("%w: breaker.failures %d must be at least 1", ErrBadConfig, c.Failures)
	case c.OpenFor <= 0:
		return fmt.Errorf("%w: breaker.open_for %v must be positive", ErrBadConfig, c.OpenFor)
	case c.Probes < 1:
		return fmt.Errorf("%w: breaker.probes %d must be at least 1", ErrBadConfig, c.Probes)
	}
	return nil
}

// Breaker is a pure circuit breaker for one backend: closed until
// cfg.Failures consecutive failures, then open for cfg.OpenFor, then
// half-open: up to cfg.Probes requests try; a success closes it, a failure
// opens it again for another cfg.OpenFor. It is not safe for concurrent
// use.
type Breaker struct {
	cfg      BreakerConfig
	state    BreakerState
	fails    int
	openedAt time.Time
	probing  int
}

// NewBreaker returns a closed breaker.
func NewBreaker(cfg BreakerConfig) *Breaker { return &Breaker{cfg: cfg} }

// State is the state at now (an open circuit whose time is up reads
// half-open).
func (b *Breaker) State(now time.Time) BreakerState {
	if b.state == Open && !now.Before(b.openedAt.Add(b.cfg.OpenFor)) {
		return HalfOpen
	}
	return b.state
}

// Allow reports whether a request may try the backend at now, and why
// not. In half-open state an allowed request is a probe and must end with
// Success, Failure or Abandon.
func (b *Breaker) Allow(now time.Time) (bool, string) {
	switch b.State(now) {
	case Open:
		return false, fmt.Sprintf("circuit open for %v more after %d failures",
			b.openedAt.Add(b.cfg.OpenFor).Sub(now).Round(time.Millisecond), b.fails)
	case HalfOpen:
		if b.state == Open {
			b.state, b.probing = HalfOpen, 0
		}
		if b.probing >= b.cfg.Probes {
			return false, "circuit half-open, probe in flight"
		}
		b.probing++
		return true, "circuit half-open, probing"
	}
	return true, ""
}

// Success records a successful request: the circuit closes.
func (b *Breaker) Success(time.Time) {
	b.state, b.fails, b.probing = Closed, 0, 0
}

// Failure records a failed request at now.
func (b *Breaker) Failure(now time.Time) {
	b.fails++
	if b.state == HalfOpen || (b.state == Closed && b.fails >= b.cfg.Failures) {
		b.state, b.openedAt, b.probing = Open, now, 0
	}
}

// Abandon records a request that ended without telling anything about the
// backend (the caller went away, or the request itself was refused).
func (b *Breaker) Abandon(time.Time) {
	if b.state == HalfOpen && b.probing > 0 {
		b.probing--
	}
}
