package messages

// Stable error codes carried in TaskResult.error_code. They never change
// meaning; clients may switch on them.
const (
	// CodeMalformed: the request could not be decoded (bad protobuf or JSON).
	CodeMalformed = "E_TASK_MALFORMED"
	// CodeMissingCapability: the TaskCard names no capability.
	CodeMissingCapability = "E_TASK_MISSING_CAPABILITY"
	// CodeCapabilityMismatch: the subject and the card name different capabilities.
	CodeCapabilityMismatch = "E_TASK_CAPABILITY_MISMATCH"
	// CodeTooLarge: the input is over the node's payload limit.
	CodeTooLarge = "E_TASK_TOO_LARGE"
	// CodeDeadlineExceeded: the deadline passed before the task finished.
	CodeDeadlineExceeded = "E_TASK_DEADLINE_EXCEEDED"
	// CodeUnknownCapability: no agent on this node declares the capability.
	CodeUnknownCapability = "E_ROUTE_UNKNOWN_CAPABILITY"
	// CodeOverloaded: every agent with the capability is at its mailbox bound.
	CodeOverloaded = "E_AGENT_OVERLOADED"
	// CodeAgentPanic: the agent crashed while holding the task; it was restarted.
	CodeAgentPanic = "E_AGENT_PANIC"
	// CodeAgentFailed: the agent returned an error.
	CodeAgentFailed = "E_AGENT_FAILED"
	// CodeAgentUnavailable: the agent could not be reached and the task was
	// not delivered (NATS had no responder); running it elsewhere is safe.
	CodeAgentUnavailable = "E_AGENT_UNAVAILABLE"
	// CodeAgentLost: the agent went away while holding the task; the task
	// may or may not have run, so only an idempotent task is retried.
	CodeAgentLost = "E_AGENT_LOST"
	// CodeAgentBadReply: an external agent answered with something that is not a TaskResult.
	CodeAgentBadReply = "E_AGENT_BAD_REPLY"
	// CodeDraining: the node is shutting down and takes no new work.
	CodeDraining = "E_NODE_DRAINING"
	// CodeRegisterInvalid: an external agent's registration was refused.
	CodeRegisterInvalid = "E_AGENT_REGISTER_INVALID"
	// CodeNameTaken: an agent with that name already exists on the node.
	CodeNameTaken = "E_AGENT_NAME_TAKEN"
	// CodeSessionCommitted: the task names a session that was closed
	// (committed); a committed session takes no more tasks.
	CodeSessionCommitted = "E_SESSION_COMMITTED"
	// CodeMemberLost: the cluster member running the task died; the task
	// may or may not have run, so only an idempotent task is retried (once,
	// on another member).
	CodeMemberLost = "E_MEMBER_LOST"
	// CodePeerUntrusted: another member's answer was not a valid envelope
	// signed by the key it gossips, or that key is outside the trust policy.
	CodePeerUntrusted = "E_PEER_UNTRUSTED"
)

// IsFinal reports whether s is a terminal task state.
func IsFinal(s TaskState) bool {
	switch s {
	case TaskState_TASK_STATE_COMPLETED, TaskState_TASK_STATE_CANCELED,
		TaskState_TASK_STATE_FAILED, TaskState_TASK_STATE_REJECTED:
		return true
	}
	return false
}
