package gate

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Phase says when a hook runs.
type Phase int

// Hook phases (seed §4.2).
const (
	// PreToolUse hooks run before the tool; a deny stops the tool.
	PreToolUse Phase = iota
	// PostToolUse hooks run after the tool with its result; a deny tells
	// the caller to withhold the result.
	PostToolUse
)

// String returns the phase's name as used in the seed.
func (p Phase) String() string {
	switch p {
	case PreToolUse:
		return "PreToolUse"
	case PostToolUse:
		return "PostToolUse"
	}
	return "unknown"
}

// FATEHookName is the name of the built-in PreToolUse hook that runs the
// FATE validator.
const FATEHookName = "fate"

// Result is what a tool produced, given to PostToolUse hooks.
type Result struct {
	Output   string
	ExitCode int
	Err      string
	Duration time.Duration
}

// HookVerdict is a hook's answer. The zero value allows.
type HookVerdict struct {
	Deny bool
	// Rule names the rule that denied; RuleHookDeny when empty.
	Rule string
	// Reason explains the deny.
	Reason string
	// Findings are added to the decision (they also lower its score).
	Findings []Finding
}

// Hook is a function run around tool use.
//
// Order: hooks of a phase run in ascending Priority, and in registration
// order among equal priorities. The built-in FATE hook has priority 0 and is
// registered first, so it runs before every other priority-0 hook and after
// hooks with negative priority. Every matching hook runs (a deny does not
// stop the others, so each is observed); a deny from any hook makes the
// decision BLOCK, and the first deny in run order names the decision's rule.
// A hook that panics counts as a deny (hook.panic).
type Hook struct {
	// Name identifies the hook; unique within a gate.
	Name string
	// Phase is PreToolUse or PostToolUse.
	Phase Phase
	// Matcher is a regular expression matched against the whole tool name
	// (it is anchored); empty matches every tool.
	Matcher string
	// Priority orders hooks; lower runs first.
	Priority int
	// Pre is called for PreToolUse hooks.
	Pre func(req Request, now time.Time) HookVerdict
	// Post is called for PostToolUse hooks.
	Post func(req Request, res Result, now time.Time) HookVerdict
}

type hookEntry struct {
	Hook
	re  *regexp.Regexp
	seq int
}

// Register adds a hook. It is safe to call concurrently with Check, which
// sees either the old or the new set of hooks.
func (g *Gate) Register(h Hook) error {
	if h.Name == "" {
		return fmt.Errorf("%w: empty Name", ErrInvalidHook)
	}
	switch h.Phase {
	case PreToolUse:
		if h.Pre == nil {
			return fmt.Errorf("%w: %q: PreToolUse hook without Pre", ErrInvalidHook, h.Name)
		}
	case PostToolUse:
		if h.Post == nil {
			return fmt.Errorf("%w: %q: PostToolUse hook without Post", ErrInvalidHook, h.Name)
		}
	default:
		return fmt.Errorf("%w: %q: unknown Phase %d", ErrInvalidHook, h.Name, h.Phase)
	}
	e := hookEntry{Hook: h}
	if h.Matcher != "" {
		re, err := regexp.Compile(`^(?:` + h.Matcher + `)$`)
		if err != nil {
			return fmt.Errorf("%w: %q: Matcher: %v", ErrInvalidHook, h.Name, err)
		}
		e.re = re
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := *g.hooks.Load()
	for _, o := range old {
		if o.Name == h.Name {
			return fmt.Errorf("%w: %q", ErrDuplicateHook, h.Name)
		}
	}
	e.seq = g.nextSeq
	g.nextSeq++
	next := append(slices.Clone(old), e)
	slices.SortStableFunc(next, func(a, b hookEntry) int {
		if a.Priority != b.Priority {
			return a.Priority - b.Priority
		}
		return a.seq - b.seq
	})
	g.hooks.Store(&next)
	return nil
}

// Hooks returns the names of the hooks of phase p in run order.
func (g *Gate) Hooks(p Phase) []string {
	var names []string
	for _, e := range *g.hooks.Load() {
		if e.Phase == p {
			names = append(names, e.Name)
		}
	}
	return names
}

// fateHook is the built-in PreToolUse hook.
func (g *Gate) fateHook(req Request, now time.Time) HookVerdict {
	d := g.Evaluate(req, now)
	return HookVerdict{Deny: !d.Allowed(), Rule: d.Rule, Reason: d.Reason, Findings: d.Findings}
}

// Check runs every PreToolUse hook matching req.Tool, the FATE validator
// included, and combines them: BLOCK if any hook denies.
func (g *Gate) Check(req Request, now time.Time) Decision {
	return g.run(PreToolUse, req, Result{}, now)
}

// After runs every PostToolUse hook matching req.Tool with the tool's
// result. With no matching hook it allows.
func (g *Gate) After(req Request, res Result, now time.Time) Decision {
	return g.run(PostToolUse, req, res, now)
}

func (g *Gate) run(p Phase, req Request, res Result, now time.Time) Decision {
	var (
		findings []Finding
		denyRule string
		denyWhy  string
		denyHook string
	)
	for _, e := range *g.hooks.Load() {
		if e.Phase != p || (e.re != nil && !e.re.MatchString(req.Tool)) {
			continue
		}
		v := callHook(e, req, res, now)
		findings = append(findings, v.Findings...)
		if !v.Deny {
			continue
		}
		rule := v.Rule
		if rule == "" {
			rule = RuleHookDeny
		}
		if e.Name != FATEHookName && !hasHardRule(v.Findings) {
			// A deny always zeroes the score, whatever the hook reported.
			f := newFinding(rule, v.Reason)
			f.Penalty = hard
			findings = append(findings, f)
		}
		if denyHook == "" {
			denyRule, denyWhy, denyHook = rule, v.Reason, e.Name
		}
	}
	if denyHook == "" {
		hook := ""
		if p == PreToolUse {
			hook = FATEHookName
		}
		return g.decide(req, findings, hook, now)
	}
	d := g.decide(req, findings, denyHook, now)
	d.Verdict = Block
	d.Rule = denyRule
	d.Reason = denyWhy
	if d.Reason == "" {
		d.Reason = fmt.Sprintf("%s: denied by hook %q", denyRule, denyHook)
	}
	return d
}

func hasHardRule(fs []Finding) bool {
	for _, f := range fs {
		if f.Penalty >= hard {
			return true
		}
	}
	return false
}

func callHook(e hookEntry, req Request, res Result, now time.Time) (v HookVerdict) {
	defer func() {
		if r := recover(); r != nil {
			v = HookVerdict{Deny: true, Rule: RuleHookPanic, Reason: fmt.Sprintf("%s: hook %q panicked: %v", RuleHookPanic, e.Name, r)}
		}
	}()
	if e.Phase == PreToolUse {
		return e.Pre(req, now)
	}
	return e.Post(req, res, now)
}
