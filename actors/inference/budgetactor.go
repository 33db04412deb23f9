package inference

import (
	"context"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Budget is the budget actor: a protoactor shell that owns a Tracker, so
// every reservation, settlement and snapshot is serialised through its
// mailbox, and that keeps the budget metrics current.
type Budget struct {
	system   *actor.ActorSystem
	pid      *actor.PID
	mu       sync.Mutex // orders sends against Stop
	stopped  bool
	stopOnce sync.Once
}

// Messages understood by the budget actor; each carries its reply channel
// (buffered, so the actor never blocks on a caller that gave up).
type (
	reserveMsg struct {
		c     Charge
		reply chan reserveReply
	}
	reserveReply struct {
		id  ReservationID
		bal Balance
		err error
	}
	settleMsg struct {
		id     ReservationID
		actual int
		reply  chan settleReply
	}
	settleReply struct {
		bal Balance
		err error
	}
	releaseMsg struct {
		id    ReservationID
		reply chan error
	}
	usageMsg struct{ reply chan Usage }
)

type budgetActor struct {
	t       *Tracker
	now     func() time.Time
	metrics *Metrics
}

func (a *budgetActor) Receive(ctx actor.Context) {
	now := a.now()
	switch m := ctx.Message().(type) {
	case *reserveMsg:
		id, bal, err := a.t.Reserve(m.c, now)
		if err == nil {
			a.metrics.TokensReserved.WithLabelValues(m.c.Tier.String()).Add(float64(bal.Tokens))
		} else if ob, ok := err.(*OverBudgetError); ok {
			a.metrics.Rejections.WithLabelValues(ob.Scope, m.c.Tier.String()).Inc()
		}
		m.reply <- reserveReply{id, bal, err}
	case *settleMsg:
		tokens := a.t.res[m.id].tokens
		bal, err := a.t.Settle(m.id, m.actual, now)
		if err == nil {
			a.metrics.TokensReserved.WithLabelValues(bal.Tier.String()).Sub(float64(tokens))
			a.metrics.TokensUsed.WithLabelValues(bal.Tier.String()).Add(float64(bal.Tokens))
			a.utilization(now)
		}
		m.reply <- settleReply{bal, err}
	case *releaseMsg:
		r, ok := a.t.res[m.id]
		err := a.t.Release(m.id, now)
		if ok && err == nil {
			a.metrics.TokensReserved.WithLabelValues(r.tier.String()).Sub(float64(r.tokens))
		}
		m.reply <- err
	case *usageMsg:
		m.reply <- a.t.Snapshot(now)
	}
}

// utilization sets bizra_budget_utilization from the agents' windows.
func (a *budgetActor) utilization(now time.Time) {
	if a.t.cfg.AgentTokens == 0 {
		return
	}
	var used [numPools]int64
	n := int64(0)
	for _, ac := range a.t.agents {
		if now.Before(ac.start.Add(a.t.cfg.Window)) {
			n++
			for p := range numPools {
				used[p] += ac.used[p]
			}
		}
	}
	for p := range numPools {
		if lim := a.t.cfg.PoolLimit(p) * n; lim > 0 {
			a.metrics.Utilization.WithLabelValues(p.String()).Set(float64(used[p]) / float64(lim))
		}
	}
}

// StartBudget spawns the budget actor on system. now is its clock (nil:
// time.Now); metrics may be nil.
func StartBudget(system *actor.ActorSystem, cfg BudgetConfig, metrics *Metrics, now func() time.Time) (*Budget, error) {
	t, err := NewTracker(cfg)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	if metrics == nil {
		if metrics, err = NewMetrics(nil); err != nil {
			return nil, err
		}
	}
	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &budgetActor{t: t, now: now, metrics: metrics}
	}))
	return &Budget{system: system, pid: pid}, nil
}

func (b *Budget) send(msg any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return ErrStopped
	}
	b.system.Root.Send(b.pid, msg)
	return nil
}

func await[T any](ctx context.Context, ch chan T) (T, error) {
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Reserve holds c's tokens; see Tracker.Reserve.
func (b *Budget) Reserve(ctx context.Context, c Charge) (ReservationID, Balance, error) {
	m := &reserveMsg{c: c, reply: make(chan reserveReply, 1)}
	if err := b.send(m); err != nil {
		return 0, Balance{}, err
	}
	r, err := await(ctx, m.reply)
	if err != nil {
		return 0, Balance{}, err
	}
	return r.id, r.bal, r.err
}

// Settle charges the actual tokens of a reservation; see Tracker.Settle.
func (b *Budget) Settle(ctx context.Context, id ReservationID, actual int) (Balance, error) {
	m := &settleMsg{id: id, actual: actual, reply: make(chan settleReply, 1)}
	if err := b.send(m); err != nil {
		return Balance{}, err
	}
	r, err := await(ctx, m.reply)
	if err != nil {
		return Balance{}, err
	}
	return r.bal, r.err
}

// Release drops a reservation without charging it. It does not wait for
// the actor; the release is applied in mailbox order.
func (b *Budget) Release(id ReservationID) error {
	return b.send(&releaseMsg{id: id, reply: make(chan error, 1)})
}

// Usage returns a snapshot of the budget.
func (b *Budget) Usage(ctx context.Context) (Usage, error) {
	m := &usageMsg{reply: make(chan Usage, 1)}
	if err := b.send(m); err != nil {
		return Usage{}, err
	}
	return await(ctx, m.reply)
}

// Stop stops the actor after the messages already sent; safe to call twice.
func (b *Budget) Stop() {
	b.stopOnce.Do(func() {
		b.mu.Lock()
		b.stopped = true
		b.mu.Unlock()
		_ = b.system.Root.PoisonFuture(b.pid).Wait()
	})
}
