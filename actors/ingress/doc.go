// Package ingress is where TaskCards enter a node: NATS request-reply with
// protobuf and an HTTP API with JSON.
//
// NATS subjects (docs/protocol.md has the full table):
//
//	bizra.task.<capability>  TaskCard → TaskResult (queue group "bizra-task")
//	bizra.task               TaskCard with its capability inside → TaskResult
//	bizra.agent.list         AgentListRequest → AgentList
//	bizra.agent.register     RegisterAgent → RegisterAck
//	bizra.agent.heartbeat    Heartbeat (publish)
//	bizra.agent.deregister   DeregisterAgent (publish)
//	bizra.session.show       SessionShowRequest → SessionRecords
//
// HTTP: POST /v1/tasks (protojson TaskCard → TaskResult), GET /v1/agents,
// GET /healthz, GET /metrics.
//
// Decoding is pure (decode.go) and fuzzed: malformed input, a missing or
// mismatched capability and an oversize payload each become a REJECTED
// TaskResult with a stable code, never a dropped request. NATS requests are
// dispatched asynchronously (nothing waits while an agent works; the reply
// is sent when the result arrives); at most Config.MaxConcurrent are
// in progress, and past the bound a request is answered at once with
// E_AGENT_OVERLOADED.
package ingress
