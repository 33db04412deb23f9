package store

import (
	"sync"
	"sync/atomic"
)

// Committer batches concurrent synced writes (group commit). A writer
// that finds a commit slot free becomes a leader: it takes every write
// queued so far (its own included, oldest first, up to the group limits),
// writes them to the write-ahead log as one pebble batch and makes them
// durable with one fsync, and answers each writer in the group. Writers
// that arrive while every slot is busy queue up and wait; when a leader
// finishes a group it leads the next one until its own write is done, then
// hands leadership to the oldest queued writer. Each caller returns only
// when its own write is durable (or failed).
//
// Up to Config.CommitPipeline groups are in flight at once; pebble covers
// groups waiting on the log together with one fsync. The Committer starts
// no goroutines: leaders are the writers' own goroutines. It is safe for
// concurrent use.
//
// Each Batch given to Commit stays atomic. A group holds up to
// Config.CommitMaxOps operations and Config.CommitMaxBytes bytes (a single
// larger Batch is committed on its own). If a group commit fails, every
// write in the group gets the error and none of them is applied.
type Committer struct {
	s        *Store
	pipeline int
	maxOps   int
	maxBytes int

	mu      sync.Mutex
	idle    sync.Cond // signalled when active drops to zero
	queue   []*commitReq
	active  int // groups being committed
	stopped bool

	// beforeCommit, when set, is called by a leader with the size of each
	// group before it is committed (tests use it to hold a leader).
	beforeCommit func(requests int)

	groups  atomic.Uint64
	batches atomic.Uint64
	ops     atomic.Uint64
}

type commitReq struct {
	b     *Batch
	taken bool          // in a group (guarded by Committer.mu)
	done  chan error    // buffered: the one answer
	wake  chan struct{} // buffered: "a slot is free, lead"
}

// CommitStats counts what a Committer has made durable.
type CommitStats struct {
	Groups  uint64 // group commits: one pebble batch each
	Batches uint64 // caller writes (Commit, Put, Delete) acknowledged
	Ops     uint64 // operations in those writes
}

// NewCommitter returns a Committer over s.
func (s *Store) NewCommitter() (*Committer, error) {
	return s.newCommitter(nil)
}

func (s *Store) newCommitter(hook func(int)) (*Committer, error) {
	c := &Committer{
		s:            s,
		pipeline:     s.cfg.CommitPipeline,
		maxOps:       s.cfg.CommitMaxOps,
		maxBytes:     s.cfg.CommitMaxBytes,
		beforeCommit: hook,
	}
	c.idle.L = &c.mu
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	s.committers[c] = struct{}{}
	return c, nil
}

// Commit applies b atomically and returns once it is durable. An empty
// batch returns nil at once. After Stop it returns ErrClosed. The caller
// must not change b until Commit returns.
func (c *Committer) Commit(b *Batch) error {
	if err := b.check(); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	r := &commitReq{b: b, done: make(chan error, 1), wake: make(chan struct{}, 1)}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return ErrClosed
	}
	c.queue = append(c.queue, r)
	c.lead(r)
	c.mu.Unlock()
	for {
		select {
		case err := <-r.done:
			return err
		case <-r.wake:
			c.mu.Lock()
			c.lead(r)
			c.mu.Unlock()
		}
	}
}

// lead commits groups while r is still queued and a slot is free, then
// hands leadership on if work is left. Called with c.mu held.
func (c *Committer) lead(r *commitReq) {
	for !r.taken && !c.stopped && len(c.queue) > 0 && c.active < c.pipeline {
		g := c.take()
		c.active++
		c.mu.Unlock()
		c.commit(g)
		c.mu.Lock()
		c.active--
		if c.active == 0 {
			c.idle.Broadcast()
		}
	}
	if !c.stopped && len(c.queue) > 0 && c.active < c.pipeline {
		select {
		case c.queue[0].wake <- struct{}{}:
		default: // already woken
		}
	}
}

// take removes the next group from the queue: the oldest request and as
// many following ones as fit the limits. Called with c.mu held.
func (c *Committer) take() []*commitReq {
	ops, size, n := 0, 0, 0
	for _, r := range c.queue {
		if n > 0 && (ops+r.b.Len() > c.maxOps || size+r.b.Size() > c.maxBytes) {
			break
		}
		ops += r.b.Len()
		size += r.b.Size()
		r.taken = true
		n++
	}
	g := make([]*commitReq, n)
	copy(g, c.queue)
	rest := copy(c.queue, c.queue[n:])
	clear(c.queue[rest:])
	c.queue = c.queue[:rest]
	return g
}

// commit writes one group with one synced pebble batch and answers each
// request in it.
func (c *Committer) commit(group []*commitReq) {
	if c.beforeCommit != nil {
		c.beforeCommit(len(group))
	}
	bs := make([]*Batch, len(group))
	ops := 0
	for i, r := range group {
		bs[i] = r.b
		ops += r.b.Len()
	}
	err := c.s.applyBatches(bs, Sync)
	if err == nil {
		c.groups.Add(1)
		c.batches.Add(uint64(len(group)))
		c.ops.Add(uint64(ops))
	}
	for _, r := range group {
		r.done <- err
	}
}

// Put stores value under key and returns once it is durable.
func (c *Committer) Put(key, value []byte) error {
	var b Batch
	b.Put(key, value)
	return c.Commit(&b)
}

// Delete removes key and returns once the delete is durable.
func (c *Committer) Delete(key []byte) error {
	var b Batch
	b.Delete(key)
	return c.Commit(&b)
}

// Stats returns counters of what has been committed so far.
func (c *Committer) Stats() CommitStats {
	return CommitStats{Groups: c.groups.Load(), Batches: c.batches.Load(), Ops: c.ops.Load()}
}

// Stop fails the writes still queued with ErrClosed, waits for the groups
// being committed to be answered, and makes later writes return
// ErrClosed. Stop is safe to call more than once and from several
// goroutines.
func (c *Committer) Stop() {
	c.mu.Lock()
	c.stopped = true
	for _, r := range c.queue {
		r.taken = true
		r.done <- ErrClosed
	}
	clear(c.queue)
	c.queue = c.queue[:0]
	for c.active > 0 {
		c.idle.Wait()
	}
	c.mu.Unlock()
	c.s.mu.Lock()
	delete(c.s.committers, c)
	c.s.mu.Unlock()
}

// queued returns the number of writes waiting for a group.
func (c *Committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}
