// Package messages holds the BIZRA wire contract: the protobuf types generated
// from proto/bizra/v1 (TaskCard, TaskResult, AgentInfo, the external-agent
// protocol) and the stable error codes a TaskResult carries.
//
// The generated files (*.pb.go) are committed; `task proto` regenerates them
// from proto/ with pinned tool versions. Everything that crosses a process
// boundary, and every message between actors that has a wire meaning, is one
// of these types.
package messages
