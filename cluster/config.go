package cluster

import (
	"fmt"
	"time"
)

// DetectorConfig tunes failure detection.
type DetectorConfig struct {
	// HeartbeatInterval is how often members heartbeat (seed: 10s).
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// Window is how many inter-arrival intervals the detector keeps.
	Window int `yaml:"window"`
	// MinStdDev floors the intervals' standard deviation, so a perfectly
	// regular member is not declared failed by the first small delay.
	MinStdDev time.Duration `yaml:"min_std_dev"`
	// AcceptablePause is added to the mean interval: pauses this long
	// (a GC, a busy network) do not raise suspicion.
	AcceptablePause time.Duration `yaml:"acceptable_pause"`
	// SuspectPhi is the phi at which an ACTIVE member becomes SUSPECT.
	SuspectPhi float64 `yaml:"suspect_phi"`
	// DeadPhi is the phi at which a SUSPECT member becomes DEAD.
	DeadPhi float64 `yaml:"dead_phi"`
}

// DefaultDetectorConfig follows the seed (heartbeat every 10 s) with the
// thresholds Akka and Cassandra use for LANs (suspect at phi 8).
func DefaultDetectorConfig() DetectorConfig {
	return DetectorConfig{
		HeartbeatInterval: 10 * time.Second,
		Window:            100,
		MinStdDev:         500 * time.Millisecond,
		AcceptablePause:   3 * time.Second,
		SuspectPhi:        8,
		DeadPhi:           16,
	}
}

// Validate names the first invalid field.
func (c DetectorConfig) Validate() error {
	bad := func(field, why string) error { return fmt.Errorf("%w: %s %s", ErrInvalidConfig, field, why) }
	switch {
	case c.HeartbeatInterval <= 0:
		return bad("heartbeat_interval", "must be > 0")
	case c.Window < 2:
		return bad("window", "must be >= 2")
	case c.MinStdDev <= 0:
		return bad("min_std_dev", "must be > 0")
	case c.AcceptablePause < 0:
		return bad("acceptable_pause", "must be >= 0")
	case c.SuspectPhi <= 0:
		return bad("suspect_phi", "must be > 0")
	case c.DeadPhi <= c.SuspectPhi:
		return bad("dead_phi", "must be > suspect_phi")
	}
	return nil
}
