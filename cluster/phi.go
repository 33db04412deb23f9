package cluster

import (
	"math"
	"time"
)

// PhiDetector is the phi-accrual failure detector of one member (see the
// package doc). It is not safe for concurrent use; Members serialises it.
type PhiDetector struct {
	cfg       DetectorConfig
	intervals []float64 // ring buffer of inter-arrival intervals, ms
	next      int       // ring position
	sum, sq   float64   // running sum and sum of squares
	last      time.Time // last heartbeat (zero: none)
}

// NewPhiDetector returns a detector with no samples. The first interval is
// seeded with the configured heartbeat interval (as Akka does), so phi is
// meaningful from the second heartbeat on.
func NewPhiDetector(cfg DetectorConfig) *PhiDetector {
	return &PhiDetector{cfg: cfg, intervals: make([]float64, 0, cfg.Window)}
}

// Heartbeat records an arrival at now.
func (d *PhiDetector) Heartbeat(now time.Time) {
	if d.last.IsZero() {
		d.last = now
		hb := ms(d.cfg.HeartbeatInterval)
		d.add(hb - ms(d.cfg.MinStdDev)/4)
		d.add(hb + ms(d.cfg.MinStdDev)/4)
		return
	}
	if iv := ms(now.Sub(d.last)); iv >= 0 {
		d.add(iv)
		d.last = now
	}
}

func (d *PhiDetector) add(iv float64) {
	if len(d.intervals) < cap(d.intervals) {
		d.intervals = append(d.intervals, iv)
	} else {
		old := d.intervals[d.next]
		d.sum -= old
		d.sq -= old * old
		d.intervals[d.next] = iv
		d.next = (d.next + 1) % len(d.intervals)
	}
	d.sum += iv
	d.sq += iv * iv
}

// Last returns the last heartbeat time (zero when none).
func (d *PhiDetector) Last() time.Time { return d.last }

// Phi returns the suspicion level at now: 0 without samples, growing
// without bound as the silence lengthens.
func (d *PhiDetector) Phi(now time.Time) float64 {
	if d.last.IsZero() || len(d.intervals) == 0 {
		return 0
	}
	n := float64(len(d.intervals))
	mean := d.sum / n
	variance := d.sq/n - mean*mean
	sd := math.Max(math.Sqrt(math.Max(variance, 0)), ms(d.cfg.MinStdDev))
	return phi(ms(now.Sub(d.last)), mean+ms(d.cfg.AcceptablePause), sd)
}

// phi is -log10 of the logistic approximation of the normal tail
// P(X > t), X ~ N(mean, sd²).
func phi(t, mean, sd float64) float64 {
	y := (t - mean) / sd
	z := y * (1.5976 + 0.070566*y*y) // e = exp(-z)
	if t > mean {
		// -log10(e/(1+e)) = (z + ln(1+e)) / ln 10, finite for any z.
		return (z + math.Log1p(math.Exp(-z))) / math.Ln10
	}
	e := math.Exp(-z)
	return math.Max(0, -math.Log10(1-1/(1+e))) // never -0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
