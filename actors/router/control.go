package router

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages"
)

// In-process control messages. They carry actor PIDs and shared counters, so
// they are Go types rather than wire messages; everything with a wire meaning
// (registrations, heartbeats, TaskCards) travels as its protobuf type.

// AddRoute asks the router to route to a local agent. The router answers
// with *RouteAdded.
type AddRoute struct {
	Entry Entry
}

// RouteAdded answers AddRoute; Err is nil on success.
type RouteAdded struct {
	Err error
}

// RouteDown tells the router that an external agent proved unreachable (NATS
// had no responder for its subject). The router drops it and stops its proxy.
type RouteDown struct {
	Name string
}

// SpawnExternal asks the agents supervisor to start a proxy actor for an
// external agent. It answers with *ExternalSpawned.
type SpawnExternal struct {
	Registration *messages.RegisterAgent
	Subject      string
	Capacity     int32
	Load         *Load
}

// ExternalSpawned answers SpawnExternal.
type ExternalSpawned struct {
	PID *actor.PID
	Err error
}

// tick drives liveness checks.
type tick struct{ now time.Time }
