package session

import "fmt"

// State is the state of a session DAG node (blueprint §4.3).
type State uint8

// The five states. Their numeric values are part of the canonical node
// encoding and must not change.
const (
	Init      State = 1 // session created
	Active    State = 2 // processing started
	Computing State = 3 // inference in progress
	Validated State = 4 // result verified
	Committed State = 5 // final, immutable
)

var stateNames = [...]string{Init: "init", Active: "active", Computing: "computing", Validated: "validated", Committed: "committed"}

// Valid reports whether s is one of the five states.
func (s State) Valid() bool { return s >= Init && s <= Committed }

// String returns the lower-case name, or "state(N)" for an unknown value.
func (s State) String() string {
	if s.Valid() {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ParseState parses a lower-case state name.
func ParseState(name string) (State, error) {
	for s := Init; s <= Committed; s++ {
		if stateNames[s] == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownState, name)
}

// MarshalText encodes the state name.
func (s State) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownState, uint8(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText parses a state name.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// transitions is the table of blueprint §4.3:
//
//	init      -> active     begin
//	active    -> computing  start compute
//	computing -> validated  validate
//	validated -> committed  commit
//	active    -> active     branch (and merge)
var transitions = [Committed + 1][Committed + 1]bool{
	Init:      {Active: true},
	Active:    {Active: true, Computing: true},
	Computing: {Validated: true},
	Validated: {Committed: true},
}

// CanTransition reports whether from -> to is in the transition table.
func CanTransition(from, to State) bool {
	return from.Valid() && to.Valid() && transitions[from][to]
}

// Transition returns nil when from -> to is legal, else an error wrapping
// ErrIllegalTransition that names both states.
func Transition(from, to State) error {
	if CanTransition(from, to) {
		return nil
	}
	return fmt.Errorf("%w: %s -> %s", ErrIllegalTransition, from, to)
}
