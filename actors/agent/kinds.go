package agent

import (
	"context"
	"fmt"
	"sort"

	"github.com/bizra/bizra/messages"
)

// Spec describes one configured agent.
type Spec struct {
	Name         string
	Kind         string
	Capabilities []string
	// Mailbox is the agent's mailbox bound (tasks admitted at once).
	Mailbox int
	// Options are kind-specific settings from the config file.
	Options map[string]string
}

// Factory builds the handler for a Spec.
type Factory func(spec Spec) (Handler, error)

// Kinds maps agent kinds to factories. Later layers register more kinds
// (shell, llm) here.
type Kinds map[string]Factory

// BuiltinKinds returns the kinds every node has: "echo".
func BuiltinKinds() Kinds {
	return Kinds{"echo": func(Spec) (Handler, error) { return Echo{}, nil }}
}

// Build returns the handler for spec.
func (k Kinds) Build(spec Spec) (Handler, error) {
	f, ok := k[spec.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %q (known: %v)", ErrUnknownKind, spec.Kind, k.Names())
	}
	return f(spec)
}

// Names lists the registered kinds, sorted.
func (k Kinds) Names() []string {
	out := make([]string, 0, len(k))
	for n := range k {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Echo returns its input unchanged.
type Echo struct{}

// Handle implements Handler.
func (Echo) Handle(_ context.Context, card *messages.TaskCard) (Output, error) {
	mt := card.GetMediaType()
	if mt == "" {
		mt = "application/octet-stream"
	}
	return Output{Data: card.GetInput(), MediaType: mt}, nil
}
