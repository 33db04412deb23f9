package gate

import "github.com/bizra/bizra/messages"

// Record renders a decision for a task's governance record
// (messages.Governance), which binds it into the task's session proof.
func (d Decision) Record() *messages.GateVerdict {
	return &messages.GateVerdict{
		Tool:           d.Tool,
		Allowed:        d.Allowed(),
		Score:          d.Score,
		Threshold:      d.Threshold,
		Fidelity:       d.Dimensions.Fidelity,
		Accountability: d.Dimensions.Accountability,
		Transparency:   d.Dimensions.Transparency,
		Ethics:         d.Dimensions.Ethics,
		Rule:           d.Rule,
		Reason:         d.Reason,
		Hook:           d.Hook,
	}
}
