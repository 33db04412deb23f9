package inference

import (
	"fmt"
	"time"
)

// SelectorConfig sets the fallback policy.
type SelectorConfig struct {
	// AllowDowngrade lets a request fall back to backends of a smaller tier
	// than its own when no backend of its tier or above answers (a node
	// with one small model still serves larger requests, within the
	// request's own max_tokens).
	AllowDowngrade bool `yaml:"allow_downgrade" json:"allow_downgrade"`
	// CrossModel lets a request that names a model fall back to other
	// models of its tier when every backend of the named model fails.
	CrossModel bool `yaml:"cross_model" json:"cross_model"`
}

// DefaultSelectorConfig allows downgrades and keeps named models.
func DefaultSelectorConfig() SelectorConfig { return SelectorConfig{AllowDowngrade: true} }

// Route is one catalog entry: a backend serving a model at a tier
// (TierNone: the backend serves any tier).
type Route struct {
	Backend string
	Model   string
	Tier    Tier
}

// Target is what the selector routes: a model name ("" or "auto" for
// complexity routing), an optional complexity and tier, and the request's
// size.
type Target struct {
	Model        string
	Complexity   Complexity
	Tier         Tier
	PromptTokens int // estimated
	MaxTokens    int
}

// Candidate is one backend and model to try.
type Candidate struct {
	Backend string
	Model   string
	Tier    Tier // the backend's tier (TierNone: any)
}

// Decision records what the gateway did with one backend for a request:
// Action is "skip" (not tried: Reason says why), "failed" (tried; Error
// says how) or "served".
type Decision struct {
	Backend   string  `json:"backend"`
	Model     string  `json:"model,omitempty"`
	Action    string  `json:"action"`
	Reason    string  `json:"reason,omitempty"`
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

// Decision actions.
const (
	ActionSkip   = "skip"
	ActionFailed = "failed"
	ActionServed = "served"
)

// Plan is the selector's answer for a Target.
type Plan struct {
	Tier       Tier
	Complexity Complexity
	Candidates []Candidate
	Decisions  []Decision // backends left out while planning
}

// Selector is the model selector's pure core: catalog, routing rule and
// one circuit breaker per backend. It is not safe for concurrent use (the
// gateway holds a lock around it).
//
// Routing: a request's complexity is its own or Estimate(prompt tokens,
// max_tokens); its tier is, in order, the tier it asks for, the tier of
// the backend serving the model it names, or RouteTier(complexity,
// max_tokens). max_tokens over a fixed tier's budget is ErrOverTierBudget.
// Candidates: for a named model, the backends serving it in config order
// (then, with CrossModel, the complexity candidates); otherwise backends
// of the request's tier or of no tier, then larger tiers in ascending
// order, then (with AllowDowngrade) smaller tiers in descending order,
// config order within a tier, each with its first model.
type Selector struct {
	cfg      SelectorConfig
	bcfg     BreakerConfig
	order    []string // backend names, config order
	tiers    map[string]Tier
	routes   []Route
	breakers map[string]*Breaker
}

// NewSelector returns a selector for the named backends (config order)
// with their tiers.
func NewSelector(cfg SelectorConfig, bcfg BreakerConfig, order []string, tiers map[string]Tier) *Selector {
	s := &Selector{cfg: cfg, bcfg: bcfg, order: append([]string(nil), order...), tiers: map[string]Tier{}, breakers: map[string]*Breaker{}}
	for _, n := range order {
		s.tiers[n] = tiers[n]
		s.breakers[n] = NewBreaker(bcfg)
	}
	return s
}

// SetModels replaces a backend's models in the catalog.
func (s *Selector) SetModels(backend string, models []string) {
	kept := s.routes[:0:0]
	for _, r := range s.routes {
		if r.Backend != backend {
			kept = append(kept, r)
		}
	}
	for _, m := range models {
		kept = append(kept, Route{Backend: backend, Model: m, Tier: s.tiers[backend]})
	}
	// keep config order of backends
	out := make([]Route, 0, len(kept))
	for _, b := range s.order {
		for _, r := range kept {
			if r.Backend == b {
				out = append(out, r)
			}
		}
	}
	s.routes = out
}

// Routes returns the catalog in backend config order.
func (s *Selector) Routes() []Route { return append([]Route(nil), s.routes...) }

// HasModel reports whether some backend serves model.
func (s *Selector) HasModel(model string) bool {
	for _, r := range s.routes {
		if r.Model == model {
			return true
		}
	}
	return false
}

// IsAuto reports whether a model name asks for complexity routing.
func IsAuto(model string) bool { return model == "" || model == "auto" }

// Plan routes t. Errors wrap ErrUnknownModel, ErrOverTierBudget or
// ErrBadRequest.
func (s *Selector) Plan(t Target) (Plan, error) {
	if t.MaxTokens <= 0 {
		return Plan{}, fmt.Errorf("%w: max_tokens %d must be positive", ErrBadRequest, t.MaxTokens)
	}
	p := Plan{Complexity: t.Complexity}
	if !p.Complexity.Valid() {
		p.Complexity = Estimate(t.PromptTokens, t.MaxTokens)
	}
	var named []Route
	if !IsAuto(t.Model) {
		for _, r := range s.routes {
			if r.Model == t.Model {
				named = append(named, r)
			}
		}
		if len(named) == 0 {
			return Plan{}, fmt.Errorf("%w: %q is not served by any backend", ErrUnknownModel, t.Model)
		}
	}
	switch {
	case t.Tier.Valid():
		p.Tier = t.Tier
	case len(named) > 0 && named[0].Tier.Valid():
		p.Tier = named[0].Tier
	default:
		p.Tier = RouteTier(p.Complexity, t.MaxTokens)
		if p.Tier == TierNone {
			return Plan{}, fmt.Errorf("%w: max_tokens %d is over the MEGA tier budget of %d tokens", ErrOverTierBudget, t.MaxTokens, Mega.Tokens())
		}
	}
	if t.MaxTokens > p.Tier.Tokens() {
		return Plan{}, fmt.Errorf("%w: max_tokens %d is over the %s tier budget of %d tokens", ErrOverTierBudget, t.MaxTokens, p.Tier, p.Tier.Tokens())
	}
	seen := map[string]bool{}
	for _, r := range named {
		if !seen[r.Backend] {
			seen[r.Backend] = true
			p.Candidates = append(p.Candidates, Candidate{Backend: r.Backend, Model: r.Model, Tier: r.Tier})
		}
	}
	if len(named) > 0 && !s.cfg.CrossModel {
		return p, nil
	}
	s.tierCandidates(&p, seen)
	if len(p.Candidates) == 0 {
		return p, fmt.Errorf("%w: no backend serves tier %s", ErrNoBackend, p.Tier)
	}
	return p, nil
}

func (s *Selector) tierCandidates(p *Plan, seen map[string]bool) {
	first := map[string]string{}
	for _, r := range s.routes {
		if _, ok := first[r.Backend]; !ok {
			first[r.Backend] = r.Model
		}
	}
	var same, above, below []string
	for _, b := range s.order {
		if seen[b] {
			continue
		}
		bt := s.tiers[b]
		if _, ok := first[b]; !ok {
			p.Decisions = append(p.Decisions, Decision{Backend: b, Action: ActionSkip, Reason: "no models listed"})
			continue
		}
		switch {
		case bt == TierNone || bt == p.Tier:
			same = append(same, b)
		case bt > p.Tier:
			above = append(above, b)
		case s.cfg.AllowDowngrade:
			below = append(below, b)
		default:
			p.Decisions = append(p.Decisions, Decision{Backend: b, Model: first[b], Action: ActionSkip,
				Reason: fmt.Sprintf("tier %s below request tier %s", bt, p.Tier)})
		}
	}
	sortByTier(above, s.tiers, false)
	sortByTier(below, s.tiers, true)
	for _, group := range [][]string{same, above, below} {
		for _, b := range group {
			p.Candidates = append(p.Candidates, Candidate{Backend: b, Model: first[b], Tier: s.tiers[b]})
		}
	}
}

// sortByTier is a stable insertion sort (lists are short).
func sortByTier(bs []string, tiers map[string]Tier, desc bool) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0; j-- {
			a, b := tiers[bs[j-1]], tiers[bs[j]]
			if (!desc && a > b) || (desc && a < b) {
				bs[j-1], bs[j] = bs[j], bs[j-1]
			} else {
				break
			}
		}
	}
}

// Admit asks backend's breaker whether a request may try it at now.
func (s *Selector) Admit(backend string, now time.Time) (bool, string) {
	b := s.breakers[backend]
	if b == nil {
		return false, "unknown backend"
	}
	return b.Allow(now)
}

// Outcome is how one attempt on a backend ended, for its breaker.
type Outcome int

// Outcomes.
const (
	OutcomeSuccess Outcome = iota // the backend answered
	OutcomeFailure                // unreachable, timeout, garbage, 5xx, busy
	OutcomeNeutral                // the caller went away or the request was refused as invalid
)

// Report records an attempt's outcome and returns the breaker's new state.
func (s *Selector) Report(backend string, o Outcome, now time.Time) BreakerState {
	b := s.breakers[backend]
	if b == nil {
		return Closed
	}
	switch o {
	case OutcomeSuccess:
		b.Success(now)
	case OutcomeFailure:
		b.Failure(now)
	default:
		b.Abandon(now)
	}
	return b.State(now)
}

// BreakerState returns backend's breaker state at now.
func (s *Selector) BreakerState(backend string, now time.Time) BreakerState {
	if b := s.breakers[backend]; b != nil {
		return b.State(now)
	}
	return Closed
}
