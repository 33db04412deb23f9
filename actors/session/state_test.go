package session

import (
	"errors"
	"strings"
	"testing"
)

func TestTransitionTable(t *testing.T) {
	legal := map[[2]State]bool{
		{Init, Active}: true, {Active, Computing}: true, {Computing, Validated}: true,
		{Validated, Committed}: true, {Active, Active}: true,
	}
	for from := State(0); from <= 7; from++ {
		for to := State(0); to <= 7; to++ {
			want := legal[[2]State{from, to}]
			if got := CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
			err := Transition(from, to)
			if want != (err == nil) {
				t.Errorf("Transition(%s, %s) = %v", from, to, err)
			}
			if err != nil {
				if !errors.Is(err, ErrIllegalTransition) || !strings.Contains(err.Error(), from.String()+" -> "+to.String()) {
					t.Errorf("Transition(%s, %s) error %q does not name the states", from, to, err)
				}
			}
		}
	}
}

func TestStateNames(t *testing.T) {
	for s := Init; s <= Committed; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back State
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("%s round-trips to %v, %v", s, back, err)
		}
	}
	for _, bad := range []string{"", "Init", "ACTIVE", "done", "init "} {
		if _, err := ParseState(bad); !errors.Is(err, ErrUnknownState) {
			t.Errorf("ParseState(%q) = %v", bad, err)
		}
	}
	if _, err := State(0).MarshalText(); err == nil {
		t.Error("state 0 marshals")
	}
	if State(9).String() != "state(9)" {
		t.Error(State(9).String())
	}
}
