package agent

import (
	"context"

	"github.com/bizra/bizra/messages"
)

// Output is what a handler produced for a task.
type Output struct {
	Data      []byte
	MediaType string
	// Governance holds decisions the agent made while running the task
	// (tool-call verdicts, an inference route), whatever its outcome. The
	// dispatcher adds them to the pipeline's governance record; a local
	// agent never writes to the card it is given.
	Governance *messages.Governance
}

// Handler does an agent's work. It must honour ctx (which carries the task's
// deadline) and may panic: the actor shell turns a panic into a FAILED result
// and the supervisor restarts the agent.
type Handler interface {
	Handle(ctx context.Context, card *messages.TaskCard) (Output, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, card *messages.TaskCard) (Output, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, card *messages.TaskCard) (Output, error) {
	return f(ctx, card)
}
