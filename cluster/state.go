package cluster

import "fmt"

// State is a member's state (seed §4.7).
type State uint8

// Member states.
const (
	Joining State = iota + 1
	Active
	Suspect
	Dead
)

var stateNames = map[State]string{Joining: "JOINING", Active: "ACTIVE", Suspect: "SUSPECT", Dead: "DEAD"}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText renders the state's name (for JSON).
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Routable reports whether a member in this state may be given new work:
// only ACTIVE members are.
func (s State) Routable() bool { return s == Active }

// UnmarshalText parses a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for st, n := range stateNames {
		if n == string(b) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("%w: unknown member state %q", ErrBadMeta, b)
}
