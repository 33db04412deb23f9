package inference

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestEstimateAndRouteTier(t *testing.T) {
	for _, tc := range []struct {
		prompt, max int
		c           Complexity
		given       Complexity
		tier        Tier
	}{
		{10, 100, Low, 0, Nano},
		{10, 502, Low, 0, Nano},
		{10, 503, Medium, 0, Micro}, // 513 tokens in all: MEDIUM, which starts at MICRO
		{100, 1024, Medium, 0, Micro},
		{100, 1025, Medium, 0, Meso}, // max_tokens over MICRO's 1024
		{3000, 1000, High, 0, Meso},
		{9000, 100, Critical, 0, Macro},
		{10, 20000, Critical, 0, Mega},
		{10, 100, High, High, Meso}, // given complexity wins over the estimate
		{10, 40000, Critical, 0, TierNone},
	} {
		c := tc.given
		if !c.Valid() {
			c = Estimate(tc.prompt, tc.max)
		}
		if c != tc.c {
			t.Errorf("Estimate(%d,%d) = %s, want %s", tc.prompt, tc.max, c, tc.c)
		}
		if got := RouteTier(c, tc.max); got != tc.tier {
			t.Errorf("RouteTier(%s,%d) = %s, want %s", c, tc.max, got, tc.tier)
		}
	}
}

func TestBreakerTable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := BreakerConfig{Failures: 2, OpenFor: 10 * time.Second, Probes: 1}
	// Each step: an event at an offset; "allow" expects ok/reason substring.
	type step struct {
		at     time.Duration
		ev     string // allow, success, failure, abandon
		ok     bool
		reason string
		state  BreakerState
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"opens after consecutive failures", []step{
			{0, "allow", true, "", Closed},
			{0, "failure", false, "", Closed},
			{0, "success", false, "", Closed}, // success resets the count
			{0, "failure", false, "", Closed},
			{time.Second, "failure", false, "", Open},
			{2 * time.Second, "allow", false, "circuit open for 9s", Open},
		}},
		{"half-open probe closes on success", []step{
			{0, "failure", false, "", Closed},
			{0, "failure", false, "", Open},
			{10 * time.Second, "allow", true, "probing", HalfOpen},
			{10 * time.Second, "allow", false, "probe in flight", HalfOpen},
			{11 * time.Second, "success", false, "", Closed},
			{11 * time.Second, "allow", true, "", Closed},
		}},
		{"half-open probe reopens on failure", []step{
			{0, "failure", false, "", Closed},
			{0, "failure", false, "", Open},
			{10 * time.Second, "allow", true, "probing", HalfOpen},
			{12 * time.Second, "failure", false, "", Open},
			{21 * time.Second, "allow", false, "circuit open for 1s", Open},
			{22 * time.Second, "allow", true, "probing", HalfOpen},
		}},
		{"abandoned probe frees the slot", []step{
			{0, "failure", false, "", Closed},
			{0, "failure", false, "", Open},
			{10 * time.Second, "allow", true, "probing", HalfOpen},
			{10 * time.Second, "abandon", false, "", HalfOpen},
			{10 * time.Second, "allow", true, "probing", HalfOpen},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBreaker(cfg)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				switch s.ev {
				case "allow":
					ok, why := b.Allow(now)
					if ok != s.ok || !strings.Contains(why, s.reason) {
						t.Fatalf("step %d: allow = %v %q, want %v %q", i, ok, why, s.ok, s.reason)
					}
				case "success":
					b.Success(now)
				case "failure":
					b.Failure(now)
				case "abandon":
					b.Abandon(now)
				}
				if st := b.State(now); st != s.state {
					t.Fatalf("step %d: state %s, want %s", i, st, s.state)
				}
			}
		})
	}
}

func TestSelectorPlanTable(t *testing.T) {
	order := []string{"nano-a", "any", "meso", "micro", "nano-b", "mega", "empty"}
	tiers := map[string]Tier{"nano-a": Nano, "any": TierNone, "meso": Meso, "micro": Micro, "nano-b": Nano, "mega": Mega, "empty": Micro}
	build := func(cfg SelectorConfig) *Selector {
		s := NewSelector(cfg, DefaultBreakerConfig(), order, tiers)
		s.SetModels("nano-a", []string{"q0.5b"})
		s.SetModels("any", []string{"llama"})
		s.SetModels("meso", []string{"q7b"})
		s.SetModels("micro", []string{"q3b"})
		s.SetModels("nano-b", []string{"q0.5b", "tiny"})
		s.SetModels("mega", []string{"q72b"})
		return s
	}
	names := func(cs []Candidate) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Backend+":"+c.Model)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name    string
		cfg     SelectorConfig
		t       Target
		tier    Tier
		cands   string
		skipped string
		err     error
	}{
		{"auto low", DefaultSelectorConfig(), Target{MaxTokens: 100},
			Nano, "nano-a:q0.5b any:llama nano-b:q0.5b micro:q3b meso:q7b mega:q72b", "empty", nil},
		{"auto medium downgrade last", DefaultSelectorConfig(), Target{Complexity: High, MaxTokens: 100},
			Meso, "any:llama meso:q7b mega:q72b micro:q3b nano-a:q0.5b nano-b:q0.5b", "empty", nil},
		{"no downgrade", SelectorConfig{}, Target{Complexity: High, MaxTokens: 100},
			Meso, "any:llama meso:q7b mega:q72b", "nano-a micro nano-b empty", nil},
		{"named model: its backends only", DefaultSelectorConfig(), Target{Model: "q0.5b", MaxTokens: 100},
			Nano, "nano-a:q0.5b nano-b:q0.5b", "", nil},
		{"named model, cross-model fallback", SelectorConfig{CrossModel: true}, Target{Model: "q0.5b", MaxTokens: 100},
			Nano, "nano-a:q0.5b nano-b:q0.5b any:llama micro:q3b meso:q7b mega:q72b", "empty", nil},
		{"named model sets the tier", DefaultSelectorConfig(), Target{Model: "q7b", MaxTokens: 4096},
			Meso, "meso:q7b", "", nil},
		{"max_tokens over the model's tier", DefaultSelectorConfig(), Target{Model: "q0.5b", MaxTokens: 513},
			0, "", "", ErrOverTierBudget},
		{"max_tokens over an asked tier", DefaultSelectorConfig(), Target{Tier: Micro, MaxTokens: 2000},
			0, "", "", ErrOverTierBudget},
		{"max_tokens over MEGA", DefaultSelectorConfig(), Target{MaxTokens: 40000}, 0, "", "", ErrOverTierBudget},
		{"unknown model", DefaultSelectorConfig(), Target{Model: "gpt-5", MaxTokens: 10}, 0, "", "", ErrUnknownModel},
		{"bad max_tokens", DefaultSelectorConfig(), Target{MaxTokens: 0}, 0, "", "", ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := build(tc.cfg).Plan(tc.t)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if p.Tier != tc.tier || names(p.Candidates) != tc.cands {
				t.Fatalf("tier %s candidates %q, want %s %q", p.Tier, names(p.Candidates), tc.tier, tc.cands)
			}
			var sk []string
			for _, d := range p.Decisions {
				if d.Action != ActionSkip || d.Reason == "" {
					t.Fatalf("decision %+v", d)
				}
				sk = append(sk, d.Backend)
			}
			if strings.Join(sk, " ") != tc.skipped {
				t.Fatalf("skipped %v, want %q", sk, tc.skipped)
			}
		})
	}
}

// TestSelectorBreakerDecisions: a failing backend opens, is skipped with
// a reason, is probed after OpenFor, and closes on a good probe.
func TestSelectorBreakerDecisions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewSelector(DefaultSelectorConfig(), BreakerConfig{Failures: 1, OpenFor: time.Second, Probes: 1}, []string{"a", "b"}, nil)
	s.SetModels("a", []string{"m"})
	s.SetModels("b", []string{"m"})
	walk := func(now time.Time, fail map[string]bool) string {
		p, err := s.Plan(Target{Model: "m", MaxTokens: 10})
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		for _, c := range p.Candidates {
			ok, why := s.Admit(c.Backend, now)
			if !ok {
				log = append(log, fmt.Sprintf("skip %s (%s)", c.Backend, why))
				continue
			}
			if fail[c.Backend] {
				s.Report(c.Backend, OutcomeFailure, now)
				log = append(log, "fail "+c.Backend)
				continue
			}
			s.Report(c.Backend, OutcomeSuccess, now)
			log = append(log, "served "+c.Backend)
			break
		}
		return strings.Join(log, "; ")
	}
	for i, tc := range []struct {
		at   time.Duration
		fail map[string]bool
		want string
	}{
		{0, map[string]bool{"a": true}, "fail a; served b"},
		{500 * time.Millisecond, nil, "skip a (circuit open for 500ms more after 1 failures); served b"},
		{time.Second, map[string]bool{"a": true}, "fail a; served b"},
		{2 * time.Second, nil, "served a"},
	} {
		if got := walk(t0.Add(tc.at), tc.fail); got != tc.want {
			t.Fatalf("round %d: %q, want %q", i, got, tc.want)
		}
	}
}
