package ntu

import (
	"strings"
	"time"
)

// Anomaly is a set of anomaly kinds, as bit flags. The zero value is none.
type Anomaly uint8

const (
	// AnomalyRejected: the observation was NaN or ±Inf and was not applied.
	AnomalyRejected Anomaly = 1 << iota
	// AnomalyOutlier: the observation is more than Config.OutlierDistance
	// away from the mean of the full window that preceded it.
	AnomalyOutlier
	// AnomalyBeliefLow: belief crossed below Config.BeliefFloor with this
	// observation (edge-triggered: reported once per crossing).
	AnomalyBeliefLow
	// AnomalyDetectionLost: a detected pattern (belief ≥ Threshold) was lost
	// with this observation (edge-triggered).
	AnomalyDetectionLost
)

var anomalyNames = [...]string{"rejected", "outlier", "belief_low", "detection_lost"}

// Has reports whether every kind in k is set in a.
func (a Anomaly) Has(k Anomaly) bool { return a&k == k && k != 0 }

// String lists the set kinds joined by "|", or "none".
func (a Anomaly) String() string {
	if a == 0 {
		return "none"
	}
	var b strings.Builder
	for i, name := range anomalyNames {
		if a&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(name)
		}
	}
	return b.String()
}

// Observation is one value fed to an NTU. Source is an opaque label (for
// instance "gate_score" or "latency") copied into the Effect.
type Observation struct {
	Value  float64
	Source string
}

// Effect is what one observation produced: the new state and anything a
// monitor should publish. It holds no pointers into the NTU.
type Effect struct {
	// State after the observation (unchanged when Anomalies has AnomalyRejected).
	State State
	// Detected reports State.Belief ≥ Config.Threshold.
	Detected bool
	// Onset reports that detection began with this observation.
	Onset bool
	// Anomalies raised by this observation; zero when none.
	Anomalies Anomaly
	// Value is the observation as applied (after clamping to [0,1]), or the
	// raw value when rejected.
	Value float64
	// Deviation is |Value − mean of the preceding window|, or 0 when the
	// window was empty or the value was rejected.
	Deviation float64
	// Source is Observation.Source.
	Source string
	// At is the time passed to Observe.
	At time.Time
}

// Anomalous reports whether the effect carries any anomaly.
func (e Effect) Anomalous() bool { return e.Anomalies != 0 }

// Names lists the set kinds.
func (a Anomaly) Names() []string {
	var out []string
	for i, name := range anomalyNames {
		if a&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}
