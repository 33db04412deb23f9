package inference

import (
	"fmt"
	"strings"
)

// Complexity is a task's complexity (seed §5.4 TaskComplexity). The zero
// value means "estimate it from the request".
type Complexity int

// Complexities, simplest first.
const (
	ComplexityUnset Complexity = iota
	Low
	Medium
	High
	Critical
)

var complexityNames = [...]string{"", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// Estimation thresholds on prompt tokens + max_tokens (see Estimate).
const (
	LowMaxTokens    = 512
	MediumMaxTokens = 2048
	HighMaxTokens   = 8192
)

// String is the complexity's name, "" when unset.
func (c Complexity) String() string {
	if c < 0 || int(c) >= len(complexityNames) {
		return fmt.Sprintf("Complexity(%d)", int(c))
	}
	return complexityNames[c]
}

// Valid reports whether c is one of the four levels.
func (c Complexity) Valid() bool { return c >= Low && c <= Critical }

// ParseComplexity reads a name case-insensitively; "" is ComplexityUnset.
func ParseComplexity(s string) (Complexity, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range complexityNames {
		if n == u {
			return Complexity(i), nil
		}
	}
	return ComplexityUnset, fmt.Errorf("%w: complexity %q (want LOW, MEDIUM, HIGH or CRITICAL)", ErrBadRequest, s)
}

// MarshalText implements encoding.TextMarshaler.
func (c Complexity) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Complexity) UnmarshalText(b []byte) error {
	v, err := ParseComplexity(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// EstimateTokens estimates the tokens of text without a tokenizer: one per
// four bytes, rounded up (OpenAI's rule of thumb for English).
func EstimateTokens(text string) int { return (len(text) + 3) / 4 }

// Estimate derives a complexity from the request's size: with
// n = estimated prompt tokens + max_tokens, n <= 512 is LOW, <= 2048
// MEDIUM, <= 8192 HIGH, above CRITICAL.
func Estimate(promptTokens, maxTokens int) Complexity {
	switch n := promptTokens + maxTokens; {
	case n <= LowMaxTokens:
		return Low
	case n <= MediumMaxTokens:
		return Medium
	case n <= HighMaxTokens:
		return High
	}
	return Critical
}

// BaseTier is the tier a complexity starts at: LOW→NANO, MEDIUM→MICRO,
// HIGH→MESO, CRITICAL→MACRO. MEGA is reached through max_tokens (see
// RouteTier) or by asking for it.
func (c Complexity) BaseTier() Tier {
	switch c {
	case Low:
		return Nano
	case Medium:
		return Micro
	case High:
		return Meso
	case Critical:
		return Macro
	}
	return TierNone
}

// RouteTier is the tier a request runs at: the larger of the complexity's
// base tier and the smallest tier whose per-request budget holds
// maxTokens. It is TierNone when maxTokens is over every tier's budget.
func RouteTier(c Complexity, maxTokens int) Tier {
	fit := TierFor(maxTokens)
	if fit == TierNone {
		return TierNone
	}
	return max(fit, c.BaseTier())
}
