package gate

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one tool use submitted to the gate.
type Request struct {
	// Tool is the tool name: ToolBash, ToolWrite, ToolEdit, ToolWebFetch,
	// or any other name (which gets the default threshold and only the
	// context checks).
	Tool    string
	Input   Input
	Context RequestContext
}

// Input carries the tool's arguments; each tool reads its own fields.
type Input struct {
	Command    string // Bash: the command line
	Path       string // Write, Edit: the file path
	Content    string // Write: the whole content; Edit: the replacement text
	OldContent string // Edit: the text being replaced (not scanned)
	URL        string // WebFetch: the URL
}

// RequestContext identifies who asked, for accountability.
type RequestContext struct {
	Requester string
	SessionID string
}

// Verdict is ALLOW or BLOCK.
type Verdict string

// Verdicts.
const (
	Allow Verdict = "ALLOW"
	Block Verdict = "BLOCK"
)

// Decision is the gate's answer for one request.
//
// Verdict is ALLOW exactly when Score >= Threshold; every hard finding and
// every hook deny sets Score to 0.
type Decision struct {
	Verdict    Verdict   `json:"verdict"`
	Tool       string    `json:"tool"`
	Score      float64   `json:"score"`
	Threshold  float64   `json:"threshold"`
	Dimensions Scores    `json:"dimensions"`
	Rule       string    `json:"rule"`   // the deciding rule id; RuleAllow when allowed
	Reason     string    `json:"reason"` // human-readable, names Rule
	Hook       string    `json:"hook"`   // the hook that decided (FATEHookName for the built-in)
	Findings   []Finding `json:"findings,omitempty"`
	Requester  string    `json:"requester,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	Time       time.Time `json:"time"`
}

// Allowed reports whether the verdict is ALLOW.
func (d Decision) Allowed() bool { return d.Verdict == Allow }

// Gate evaluates tool requests. It is safe for concurrent use; its methods
// start no goroutines and perform no I/O.
type Gate struct {
	cfg Config
	web webPolicy

	mu      sync.Mutex                  // serialises Register
	nextSeq int                         // registration counter, under mu
	hooks   atomic.Pointer[[]hookEntry] // sorted, copy-on-write
}

// New validates cfg and returns a gate with the FATE validator registered
// as its built-in PreToolUse hook.
func New(cfg Config) (*Gate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Gate{cfg: cfg.clone()}
	g.web = newWebPolicy(g.cfg.WebFetch)
	empty := []hookEntry{}
	g.hooks.Store(&empty)
	if err := g.Register(Hook{
		Name:  FATEHookName,
		Phase: PreToolUse,
		Pre:   g.fateHook,
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// Config returns a copy of the gate's configuration.
func (g *Gate) Config() Config { return g.cfg.clone() }

// Evaluate runs only the FATE validator on req.
func (g *Gate) Evaluate(req Request, now time.Time) Decision {
	return g.decide(req, g.findings(req), FATEHookName, now)
}

// findings runs the analyser for req.Tool and the context checks.
func (g *Gate) findings(req Request) []Finding {
	var fs []Finding
	switch req.Tool {
	case ToolBash:
		fs = analyzeShell(req.Input.Command, g.cfg.Shell, &g.web)
		fs = append(fs, scanSecrets(req.Input.Command, g.cfg.Content)...)
	case ToolWrite, ToolEdit:
		fs = checkWrite(req.Input, g.cfg.Content)
	case ToolWebFetch:
		fs = g.web.check(req.Input.URL)
	case ToolTask:
		fs = scanSecrets(req.Input.Content, g.cfg.Content)
	}
	return append(fs, g.contextFindings(req.Context)...)
}

func (g *Gate) contextFindings(c RequestContext) []Finding {
	var fs []Finding
	add := func(rule, detail string) {
		f := newFinding(rule, detail)
		if g.cfg.RequireContext {
			f.Penalty = hard
		}
		fs = append(fs, f)
	}
	if c.Requester == "" {
		add(RuleNoRequester, "request context has no requester")
	}
	if c.SessionID == "" {
		add(RuleNoSession, "request context has no session id")
	}
	return fs
}

// decide scores findings and builds the decision.
func (g *Gate) decide(req Request, fs []Finding, hook string, now time.Time) Decision {
	dims, composite := score(fs, g.cfg.Weights)
	th := g.cfg.threshold(req.Tool)
	d := Decision{
		Tool:       req.Tool,
		Score:      composite,
		Threshold:  th,
		Dimensions: dims,
		Hook:       hook,
		Findings:   fs,
		Requester:  req.Context.Requester,
		SessionID:  req.Context.SessionID,
		Time:       now,
	}
	if composite >= th {
		d.Verdict = Allow
		d.Rule = RuleAllow
		d.Reason = fmt.Sprintf("%s: score %.4f >= threshold %.2f", RuleAllow, composite, th)
		return d
	}
	d.Verdict = Block
	f, _ := decisive(fs)
	if f.Penalty >= hard {
		d.Rule = f.Rule
		d.Reason = fmt.Sprintf("%s: %s (score %.4f < threshold %.2f)", f.Rule, f.Detail, composite, th)
	} else {
		d.Rule = RuleBelowThreshold
		d.Reason = fmt.Sprintf("%s: score %.4f < threshold %.2f (%d findings, largest %s)", RuleBelowThreshold, composite, th, len(fs), f.Rule)
	}
	return d
}
