// Package agentkit is the agent side of the external-agent protocol: a Go
// process joins a BIZRA node over NATS, declares its capabilities, answers
// the TaskCards the node routes to it, and heartbeats so the node keeps
// routing to it.
//
//	nc, _ := nats.Connect("nats://127.0.0.1:4222")
//	a, err := agentkit.Join(nc, agentkit.Config{Name: "upper-1", Capabilities: []string{"upper"}},
//		agentkit.HandlerFunc(func(ctx context.Context, t *messages.TaskCard) ([]byte, error) {
//			return bytes.ToUpper(t.GetInput()), nil
//		}))
//	...
//	a.Stop() // deregisters; safe to call twice
//
// The protocol itself (subjects and protobuf messages) is in
// docs/protocol.md, so agents in other languages can speak it directly.
package agentkit
