package inference

import (
	"context"
	"fmt"
	"strconv"

	"github.com/bizra/bizra/actors/agent"
	"github.com/bizra/bizra/messages"
)

// TextOptions shape a one-prompt inference made by an agent.
type TextOptions struct {
	Model      string // "" routes by complexity
	System     string // optional system message
	MaxTokens  int    // 0: Limits.DefaultMaxTokens
	Complexity Complexity
	Tier       Tier
	Agent      string // charged agent
	Session    string
}

// Text runs prompt as a chat (one user turn, after the optional system
// message) through the full gateway path and returns the result; its Text
// is the answer.
func (g *Gateway) Text(ctx context.Context, prompt string, o TextOptions) (*Result, error) {
	var msgs []Message
	if o.System != "" {
		msgs = append(msgs, Message{Role: "system", Content: o.System})
	}
	msgs = append(msgs, Message{Role: "user", Content: prompt})
	return g.Infer(ctx, &Request{Kind: KindChat, Model: o.Model, Messages: msgs, MaxTokens: o.MaxTokens,
		Complexity: o.Complexity, Tier: o.Tier, Agent: o.Agent, Session: o.Session})
}

// LLMKind is the factory of agent kind "llm": the TaskCard's input is the
// prompt and the output is the answer text (text/plain). Spec options:
// model, system, max_tokens, complexity, tier. The agent is charged as
// the spec's name, in the card's session.
func LLMKind(g *Gateway) agent.Factory {
	return func(spec agent.Spec) (agent.Handler, error) {
		o := TextOptions{Model: spec.Options["model"], System: spec.Options["system"], Agent: spec.Name}
		var err error
		if v := spec.Options["max_tokens"]; v != "" {
			if o.MaxTokens, err = strconv.Atoi(v); err != nil || o.MaxTokens <= 0 {
				return nil, fmt.Errorf("%w: agent %s: max_tokens %q", ErrBadConfig, spec.Name, v)
			}
		}
		if o.Complexity, err = ParseComplexity(spec.Options["complexity"]); err != nil {
			return nil, fmt.Errorf("%w: agent %s: %v", ErrBadConfig, spec.Name, err)
		}
		if o.Tier, err = ParseTier(spec.Options["tier"]); err != nil {
			return nil, fmt.Errorf("%w: agent %s: %v", ErrBadConfig, spec.Name, err)
		}
		return agent.HandlerFunc(func(ctx context.Context, card *messages.TaskCard) (agent.Output, error) {
			oo := o
			oo.Session = card.GetSessionId()
			res, err := g.Text(ctx, string(card.GetInput()), oo)
			if err != nil {
				return agent.Output{}, err
			}
			return agent.Output{Data: []byte(res.Text), MediaType: "text/plain; charset=utf-8",
				Governance: &messages.Governance{Inference: res.Route()}}, nil
		}), nil
	}
}
