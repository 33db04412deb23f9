package router

import "sync/atomic"

// Routes publishes the router's current Snapshot to readers (the Dispatcher,
// listings). The router actor is its only writer.
type Routes struct {
	p atomic.Pointer[Snapshot]
}

// NewRoutes returns Routes holding an empty snapshot.
func NewRoutes() *Routes {
	r := &Routes{}
	r.p.Store(NewTable().Snapshot())
	return r
}

// Load returns the current snapshot.
func (r *Routes) Load() *Snapshot { return r.p.Load() }

func (r *Routes) store(s *Snapshot) { r.p.Store(s) }
