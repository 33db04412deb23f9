package ntu

import (
	"math"
	"time"
)

// NTU is a NeuroTemporal Unit. It is not safe for concurrent use; an actor
// owns one.
type NTU struct {
	cfg      Config
	win      window
	state    State
	detected bool
	rejected uint64
	postN    int     // window count postInv was computed for
	postInv  float64 // 1/(κ + postN)
}

// New returns an NTU in its initial state, or the Config.Validate error.
func New(cfg Config) (*NTU, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &NTU{cfg: cfg, win: newWindow(cfg.Window)}
	n.Reset()
	return n, nil
}

// Config returns the configuration the NTU was built with.
func (n *NTU) Config() Config { return n.cfg }

// State returns the current state.
func (n *NTU) State() State { return n.state }

// Detected reports whether the current belief is at or above the threshold.
func (n *NTU) Detected() bool { return n.detected }

// Rejected counts observations rejected as non-finite.
func (n *NTU) Rejected() uint64 { return n.rejected }

// Reset returns the NTU to its initial state, keeping its configuration.
func (n *NTU) Reset() {
	n.win.reset()
	n.postN, n.postInv = 0, 0
	n.state = State{Belief: n.cfg.InitialBelief, Entropy: binaryEntropy(n.cfg.InitialBelief), Potential: 0}
	n.detected = n.state.Belief >= n.cfg.Threshold
	n.rejected = 0
}

// Observe applies one observation at time now and returns its effect.
// It runs in O(1) time and does not allocate.
//
// NaN and ±Inf are rejected: the state is unchanged and the effect carries
// AnomalyRejected. Finite values outside [0,1] are clamped into it.
func (n *NTU) Observe(obs Observation, now time.Time) (eff Effect) {
	eff.Value, eff.Source, eff.At = obs.Value, obs.Source, now
	x := obs.Value
	if math.IsNaN(x) || math.IsInf(x, 0) {
		n.rejected++
		eff.State = n.state
		eff.Detected = n.detected
		eff.Anomalies = AnomalyRejected
		return eff
	}
	x = clamp01(x)
	eff.Value = x

	cfg := &n.cfg
	if n.win.n > 0 {
		eff.Deviation = math.Abs(x - n.win.mean())
		if n.win.full() && eff.Deviation > cfg.OutlierDistance {
			eff.Anomalies |= AnomalyOutlier
		}
	}
	n.win.push(quantize(x))

	prev := n.state.Belief
	if n.win.n != n.postN {
		n.postN = n.win.n
		n.postInv = 1 / (cfg.PriorStrength + float64(n.postN))
	}
	mean := n.win.mean()
	posterior := (cfg.PriorStrength*prev + n.win.sumValue()) * n.postInv
	belief := clamp01(cfg.Gamma*prev + cfg.Alpha*mean + cfg.Beta*posterior)

	n.state = State{
		Belief:    belief,
		Entropy:   binaryEntropy(mean),
		Potential: clamp01(1 - 4*n.win.variance()),
		Mean:      clamp01(mean),
		Iteration: n.state.Iteration + 1,
	}

	wasDetected := n.detected
	n.detected = belief >= cfg.Threshold
	if wasDetected && !n.detected {
		eff.Anomalies |= AnomalyDetectionLost
	}
	if prev >= cfg.BeliefFloor && belief < cfg.BeliefFloor {
		eff.Anomalies |= AnomalyBeliefLow
	}
	eff.State = n.state
	eff.Detected = n.detected
	eff.Onset = n.detected && !wasDetected
	return eff
}

// ObserveValue is Observe with no source and the zero time.
func (n *NTU) ObserveValue(v float64) Effect {
	return n.Observe(Observation{Value: v}, time.Time{})
}
