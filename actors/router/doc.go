// Package router routes TaskCards by capability to agents.
//
// It has three parts:
//
//   - Table (table.go) is the pure core: the agents a node knows, indexed by
//     capability, with liveness for external agents. Its methods take the
//     change and the time and return a new immutable Snapshot plus what to do
//     (for example, which lapsed external agents to stop).
//   - The router actor (actor.go) owns the Table. It is the only writer: it
//     applies registrations, heartbeats and departures, expires external
//     agents whose heartbeats stopped, and publishes each new Snapshot.
//   - Dispatcher (dispatch.go) is what ingress calls for each TaskCard. It
//     validates the card, reads the current Snapshot without locking, admits
//     the task against the chosen agent's mailbox bound, sends it to the
//     agent's actor and waits for the TaskResult or the deadline.
//
// Balancing: among the agents that declare a capability, the Dispatcher
// picks the one with the lowest load (tasks in flight divided by mailbox
// capacity), breaking ties round-robin. An agent at its bound is skipped;
// when all are, the task is REJECTED with E_AGENT_OVERLOADED ("overloaded").
package router
