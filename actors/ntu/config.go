package ntu

import (
	"fmt"
	"math"
)

// Default parameters (blueprint §4.1 and appendix B).
const (
	DefaultWindow          = 5
	DefaultAlpha           = 0.4
	DefaultBeta            = 0.35
	DefaultGamma           = 0.25
	DefaultThreshold       = 0.95
	DefaultInitialBelief   = 0.5
	DefaultPriorStrength   = 1.0
	DefaultOutlierDistance = 0.3
	DefaultBeliefFloor     = 0.5

	// MaxWindow bounds Config.Window so that the exact integer running sums
	// of the window cannot overflow (see window.go).
	MaxWindow = 4096

	// weightTolerance is how far α+β+γ may be from 1.
	weightTolerance = 1e-9
)

// Config parameterises an NTU. The zero value is not valid; start from
// DefaultConfig and change fields.
type Config struct {
	// Window is the number of most recent accepted observations the window
	// statistics (mean, entropy, potential) are computed over. 1..MaxWindow.
	Window int
	// Alpha weighs the window mean in the belief update (temporal term).
	Alpha float64
	// Beta weighs the conjugate posterior mean in the belief update (prior term).
	Beta float64
	// Gamma weighs the previous belief in the belief update (persistence term).
	// Alpha, Beta and Gamma are each in [0,1] and sum to 1.
	Gamma float64
	// Threshold is the belief at or above which a pattern is detected. [0,1].
	Threshold float64
	// InitialBelief is the belief before any observation. [0,1].
	InitialBelief float64
	// PriorStrength is κ, the pseudo-count weight of the previous belief in
	// the Beta-Bernoulli posterior mean of the prior term. Finite, ≥ 0.
	PriorStrength float64
	// OutlierDistance is the absolute distance from the mean of a full
	// window beyond which a new observation is reported as an outlier. (0,1].
	OutlierDistance float64
	// BeliefFloor is the belief below which a drop is reported as an
	// anomaly (edge-triggered, when belief crosses it downwards). [0,1].
	BeliefFloor float64
}

// DefaultConfig returns the blueprint parameters.
func DefaultConfig() Config {
	return Config{
		Window:          DefaultWindow,
		Alpha:           DefaultAlpha,
		Beta:            DefaultBeta,
		Gamma:           DefaultGamma,
		Threshold:       DefaultThreshold,
		InitialBelief:   DefaultInitialBelief,
		PriorStrength:   DefaultPriorStrength,
		OutlierDistance: DefaultOutlierDistance,
		BeliefFloor:     DefaultBeliefFloor,
	}
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	if c.Window < 1 || c.Window > MaxWindow {
		return fmt.Errorf("%w: Window %d not in [1,%d]", ErrInvalidConfig, c.Window, MaxWindow)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"Alpha", c.Alpha}, {"Beta", c.Beta}, {"Gamma", c.Gamma},
		{"Threshold", c.Threshold}, {"InitialBelief", c.InitialBelief},
		{"BeliefFloor", c.BeliefFloor},
	} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("%w: %s %v not in [0,1]", ErrInvalidConfig, f.name, f.v)
		}
	}
	if s := c.Alpha + c.Beta + c.Gamma; math.Abs(s-1) > weightTolerance {
		return fmt.Errorf("%w: Alpha+Beta+Gamma = %v, want 1", ErrInvalidConfig, s)
	}
	if !(c.PriorStrength >= 0) || math.IsInf(c.PriorStrength, 1) {
		return fmt.Errorf("%w: PriorStrength %v not finite and ≥ 0", ErrInvalidConfig, c.PriorStrength)
	}
	if !(c.OutlierDistance > 0 && c.OutlierDistance <= 1) {
		return fmt.Errorf("%w: OutlierDistance %v not in (0,1]", ErrInvalidConfig, c.OutlierDistance)
	}
	return nil
}
