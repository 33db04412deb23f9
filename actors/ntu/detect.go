package ntu

import "math"

// MinimalDetect feeds observations, in order, to a fresh NTU with the
// default parameters except threshold and window, and returns whether the
// final belief is at or above threshold, and that belief.
//
// A window < 1 uses DefaultWindow and a window > MaxWindow uses MaxWindow.
// A NaN threshold uses DefaultThreshold; others are clamped into [0,1].
// Non-finite observations are skipped, as NTU.Observe rejects them.
// With no observations the belief is DefaultInitialBelief.
func MinimalDetect(observations []float64, threshold float64, window int) (detected bool, belief float64) {
	cfg := DefaultConfig()
	switch {
	case window < 1:
		cfg.Window = DefaultWindow
	case window > MaxWindow:
		cfg.Window = MaxWindow
	default:
		cfg.Window = window
	}
	if math.IsNaN(threshold) {
		cfg.Threshold = DefaultThreshold
	} else {
		cfg.Threshold = clamp01(threshold)
	}
	n, err := New(cfg)
	if err != nil { // unreachable: cfg is valid by construction
		return false, 0
	}
	for _, v := range observations {
		n.ObserveValue(v)
	}
	return n.Detected(), n.State().Belief
}
