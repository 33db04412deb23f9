// Package pool serves concurrent generation requests on one model with
// continuous batching.
//
// The pool has a fixed number of slots, each owning a KV cache. Requests
// wait in a bounded queue until a slot is free; between decode steps,
// finished, cancelled and expired requests leave and queued ones join. One
// step runs a single forward pass over every active slot (prompt tokens of
// newly joined requests and one token of each decoding request), so each
// weight matrix is read once per step for all of them (a GEMM rather than
// one GEMV per request). When the slots and the queue are full, Submit
// fails with ErrBusy.
//
// The logic lives in Core, a plain struct whose methods take a message and
// the current time and return effects (tokens to stream, completions,
// rejections). The actor in actor.go is a thin protoactor shell around it:
// it turns requests into messages, schedules the next step while work
// remains, and delivers effects to each request's Stream.
//
//	p, err := pool.Start(system, m, pool.DefaultConfig())
//	defer p.Stop()
//	s, err := p.Submit(ctx, pool.Request{Prompt: ids, MaxTokens: 32})
//	for ev := range s.Events() { fmt.Print(ev.Text) }
package pool
