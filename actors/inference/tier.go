package inference

import (
	"fmt"
	"strings"
	"time"
)

// Tier is a cognitive budget tier (seed §4.4). The zero value means "not
// set".
type Tier int

// Tiers, smallest first.
const (
	TierNone Tier = iota
	Nano
	Micro
	Meso
	Macro
	Mega
)

// TierSpec is one row of the seed's tier table.
type TierSpec struct {
	Tier      Tier          `json:"tier"`
	ModelSize string        `json:"model_size"`
	Tokens    int           `json:"tokens"`     // per-request token budget (max_tokens bound)
	Latency   time.Duration `json:"latency_ns"` // latency target
	UseCase   string        `json:"use_case"`
}

var tierSpecs = [...]TierSpec{
	Nano:  {Nano, "0.5B-1.5B", 512, 100 * time.Millisecond, "Simple queries, routing"},
	Micro: {Micro, "1.5B-3B", 1024, 500 * time.Millisecond, "Summarization, classification"},
	Meso:  {Meso, "7B-13B", 4096, 2 * time.Second, "Code generation, analysis"},
	Macro: {Macro, "13B-34B", 8192, 10 * time.Second, "Complex reasoning"},
	Mega:  {Mega, "70B+", 32768, 60 * time.Second, "Research, planning"},
}

var tierNames = [...]string{"", "NANO", "MICRO", "MESO", "MACRO", "MEGA"}

// AllTiers lists the tiers, smallest first.
func AllTiers() []Tier { return []Tier{Nano, Micro, Meso, Macro, Mega} }

// Valid reports whether t is one of the five tiers.
func (t Tier) Valid() bool { return t >= Nano && t <= Mega }

// Spec returns the tier's row of the seed table (the zero TierSpec for an
// invalid tier).
func (t Tier) Spec() TierSpec {
	if !t.Valid() {
		return TierSpec{}
	}
	return tierSpecs[t]
}

// Tokens is the tier's per-request token budget.
func (t Tier) Tokens() int { return t.Spec().Tokens }

// String is the tier's name (NANO, MICRO, MESO, MACRO, MEGA), "" when unset.
func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return fmt.Sprintf("Tier(%d)", int(t))
	}
	return tierNames[t]
}

// ParseTier reads a tier name, case-insensitively; "" is TierNone.
func ParseTier(s string) (Tier, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range tierNames {
		if n == u {
			return Tier(i), nil
		}
	}
	return TierNone, fmt.Errorf("%w: tier %q (want NANO, MICRO, MESO, MACRO or MEGA)", ErrBadRequest, s)
}

// MarshalText implements encoding.TextMarshaler.
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (JSON and YAML).
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// TierFor returns the smallest tier whose token budget holds maxTokens, or
// TierNone when even MEGA's does not.
func TierFor(maxTokens int) Tier {
	for _, t := range AllTiers() {
		if maxTokens <= t.Tokens() {
			return t
		}
	}
	return TierNone
}
