// Package agent runs agents: one supervised actor per agent.
//
// An agent actor is a thin shell around Core, which decides, for a TaskCard
// and the time, whether to run it (its deadline may already have passed) and
// turns the handler's output into a TaskResult. The work itself is a Handler
// chosen by the agent's kind ("echo" is built in; see Kinds).
//
// The agents supervisor (supervisor.go) is the parent of every agent actor.
// It supervises one-for-one with exponential backoff (Backoff): an agent
// that panics answers the task it held with FAILED / E_AGENT_PANIC and is
// restarted after a delay that doubles with each failure inside the window.
// It also spawns proxy actors for external agents (external.go), which
// forward TaskCards over NATS to a process in any language.
//
// Mailboxes are bounded by admission: the router's Load counts the tasks
// sent to an agent and the agent releases each one as it answers, so a full
// agent is skipped by the Dispatcher instead of growing its queue.
package agent
