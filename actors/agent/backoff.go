package agent

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Backoff configures one-for-one restarts with exponential backoff: the n-th
// failure inside Window restarts the child after Initial·2^(n-1), capped at
// Max. A child that stays up for Window starts again from Initial.
type Backoff struct {
	// Initial is the delay before the first restart.
	Initial time.Duration `yaml:"initial"`
	// Max caps the delay.
	Max time.Duration `yaml:"max"`
	// Window is how long failures are remembered.
	Window time.Duration `yaml:"window"`
}

// DefaultBackoff returns 100ms doubling to 10s, remembered for 1 minute.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second, Window: time.Minute}
}

// Validate names the first invalid field.
func (b Backoff) Validate() error {
	switch {
	case b.Initial <= 0:
		return fmt.Errorf("%w: initial must be > 0, got %s", ErrInvalidBackoff, b.Initial)
	case b.Max < b.Initial:
		return fmt.Errorf("%w: max (%s) must be >= initial (%s)", ErrInvalidBackoff, b.Max, b.Initial)
	case b.Window <= 0:
		return fmt.Errorf("%w: window must be > 0, got %s", ErrInvalidBackoff, b.Window)
	}
	return nil
}

// Delay is the wait before restarting after the failures-th failure.
func (b Backoff) Delay(failures int) time.Duration {
	if failures < 1 {
		failures = 1
	}
	d := b.Initial
	for i := 1; i < failures; i++ {
		d *= 2
		if d >= b.Max {
			return b.Max
		}
	}
	if d > b.Max {
		return b.Max
	}
	return d
}

// backoffStrategy is a protoactor SupervisorStrategy applying Backoff to the
// failing child only (one-for-one).
type backoffStrategy struct {
	b         Backoff
	onRestart func(child *actor.PID, failures int, delay time.Duration, reason any)
}

func (s *backoffStrategy) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, rs *actor.RestartStatistics, reason any, _ any) {
	if rs.NumberOfFailures(s.b.Window) == 0 {
		rs.Reset()
	}
	rs.Fail()
	n := rs.FailureCount()
	delay := s.b.Delay(n)
	if s.onRestart != nil {
		s.onRestart(child, n, delay, reason)
	}
	time.AfterFunc(delay, func() { sup.RestartChildren(child) })
}
