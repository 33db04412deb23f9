package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func testDetector() DetectorConfig {
	c := DefaultDetectorConfig()
	c.HeartbeatInterval = 100 * time.Millisecond
	c.MinStdDev = 10 * time.Millisecond
	c.AcceptablePause = 0
	c.Window = 20
	return c
}

func TestPhiGrowsMonotonicallyWithSilence(t *testing.T) {
	d := NewPhiDetector(testDetector())
	t0 := time.Unix(0, 0)
	if d.Phi(t0) != 0 {
		t.Fatal("phi without samples")
	}
	now := t0
	for i := 0; i < 50; i++ {
		d.Heartbeat(now)
		now = now.Add(100 * time.Millisecond)
	}
	last := now.Add(-100 * time.Millisecond)
	prev := -1.0
	for dt := time.Duration(0); dt <= 5*time.Second; dt += 5 * time.Millisecond {
		p := d.Phi(last.Add(dt))
		if math.IsNaN(p) || math.IsInf(p, 0) || p < prev {
			t.Fatalf("phi(%v) = %v after %v", dt, p, prev)
		}
		prev = p
	}
	// On time: low suspicion; a few intervals late: far past 8.
	if p := d.Phi(last.Add(100 * time.Millisecond)); p > 1 {
		t.Fatalf("phi on schedule = %v", p)
	}
	if p := d.Phi(last.Add(300 * time.Millisecond)); p < 8 {
		t.Fatalf("phi three intervals late = %v", p)
	}
}

func TestPhiToleratesJitterItHasSeen(t *testing.T) {
	// A member with jittery heartbeats is suspected later than a regular
	// one after the same silence.
	rng := rand.New(rand.NewPCG(1, 2))
	regular, jittery := NewPhiDetector(testDetector()), NewPhiDetector(testDetector())
	a, b := time.Unix(0, 0), time.Unix(0, 0)
	for i := 0; i < 100; i++ {
		regular.Heartbeat(a)
		jittery.Heartbeat(b)
		a = a.Add(100 * time.Millisecond)
		b = b.Add(time.Duration(50+rng.IntN(100)) * time.Millisecond)
	}
	silence := 200 * time.Millisecond
	pr, pj := regular.Phi(regular.Last().Add(silence)), jittery.Phi(jittery.Last().Add(silence))
	if !(pj < pr) {
		t.Fatalf("jittery phi %v, regular %v", pj, pr)
	}
}

func TestPhiWindowForgetsOldIntervals(t *testing.T) {
	cfg := testDetector()
	d := NewPhiDetector(cfg)
	now := time.Unix(0, 0)
	for i := 0; i < 200; i++ { // long intervals first
		d.Heartbeat(now)
		now = now.Add(time.Second)
	}
	for i := 0; i <= cfg.Window; i++ { // then a full window of short ones
		d.Heartbeat(now)
		now = now.Add(100 * time.Millisecond)
	}
	if p := d.Phi(d.Last().Add(500 * time.Millisecond)); p < 8 {
		t.Fatalf("old intervals still count: phi %v", p)
	}
}
