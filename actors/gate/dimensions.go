package gate

import (
	"fmt"
	"math"
	"slices"
)

// Dimension is one of the four FATE dimensions.
type Dimension int

// The FATE dimensions (seed §4.2).
const (
	Fidelity       Dimension = iota // no hard-coded or leaked secrets
	Accountability                  // the decision can be attributed and audited
	Transparency                    // no obfuscated or unanalysable input
	Ethics                          // dangerous operations are blocked
	numDimensions
)

// String returns the dimension's name.
func (d Dimension) String() string {
	switch d {
	case Fidelity:
		return "fidelity"
	case Accountability:
		return "accountability"
	case Transparency:
		return "transparency"
	case Ethics:
		return "ethics"
	}
	return "unknown"
}

// MarshalText writes the dimension's name.
func (d Dimension) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a dimension name written by MarshalText.
func (d *Dimension) UnmarshalText(b []byte) error {
	for x := range numDimensions {
		if x.String() == string(b) {
			*d = x
			return nil
		}
	}
	return fmt.Errorf("gate: unknown dimension %q", b)
}

// Scores holds one score in [0,1] per dimension; 1 means no concern.
type Scores struct {
	Fidelity       float64 `json:"fidelity"`
	Accountability float64 `json:"accountability"`
	Transparency   float64 `json:"transparency"`
	Ethics         float64 `json:"ethics"`
}

// Get returns the score of dimension d.
func (s Scores) Get(d Dimension) float64 {
	switch d {
	case Fidelity:
		return s.Fidelity
	case Accountability:
		return s.Accountability
	case Transparency:
		return s.Transparency
	case Ethics:
		return s.Ethics
	}
	return 0
}

func (s *Scores) set(d Dimension, v float64) {
	switch d {
	case Fidelity:
		s.Fidelity = v
	case Accountability:
		s.Accountability = v
	case Transparency:
		s.Transparency = v
	case Ethics:
		s.Ethics = v
	}
}

// Finding is one rule that fired on a request.
type Finding struct {
	Rule      string    `json:"rule"`
	Dimension Dimension `json:"dimension"`
	// Penalty in (0,1] lowers the dimension's score multiplicatively.
	Penalty float64 `json:"penalty"`
	// Detail says what in the input triggered the rule.
	Detail string `json:"detail"`
}

// newFinding fills dimension and penalty from the rule table.
func newFinding(rule, detail string) Finding {
	info, ok := rules[rule]
	if !ok {
		info = ruleInfo{Ethics, hard}
	}
	return Finding{Rule: rule, Dimension: info.dim, Penalty: info.penalty, Detail: detail}
}

// score computes the per-dimension scores and the composite.
//
// A dimension's score is the product of (1 - penalty) over the findings in
// that dimension, so it starts at 1 and a hard finding (penalty 1) zeroes it.
// The composite is the weighted geometric mean of the four dimension scores,
// prod(score_d ^ weight_d) with weights summing to 1: it lies in [0,1], equals
// 1 only when nothing fired, and is 0 as soon as any dimension is 0, so a hard
// finding blocks under every threshold in (0,1].
func score(findings []Finding, w Weights) (Scores, float64) {
	var dims [numDimensions]float64
	for i := range dims {
		dims[i] = 1
	}
	for _, f := range findings {
		if f.Dimension < 0 || f.Dimension >= numDimensions {
			continue
		}
		p := math.Min(math.Max(f.Penalty, 0), 1)
		dims[f.Dimension] *= 1 - p
	}
	var s Scores
	composite := 1.0
	ws := [numDimensions]float64{w.Fidelity, w.Accountability, w.Transparency, w.Ethics}
	sum := ws[0] + ws[1] + ws[2] + ws[3]
	for d := range numDimensions {
		s.set(d, dims[d])
		if dims[d] == 0 {
			composite = 0
			continue
		}
		composite *= math.Pow(dims[d], ws[d]/sum)
	}
	return s, math.Min(math.Max(composite, 0), 1)
}

// decisive returns the finding that names the decision: the largest
// penalty, the earliest on ties.
func decisive(findings []Finding) (Finding, bool) {
	if len(findings) == 0 {
		return Finding{}, false
	}
	best := findings[0]
	for _, f := range findings[1:] {
		if f.Penalty > best.Penalty {
			best = f
		}
	}
	return best, true
}

func sortStrings(s []string) { slices.Sort(s) }
