package market

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// The actor tree of a Market:
//
//	<ActorName>             supervisor, one-for-one (10 restarts a minute)
//	├── lic-<license id>    one actor per license
//	└── charges             the call-charge writer
//
// A license actor is a thin shell around the License core: it serialises
// the operations on its license (so two buyers racing are answered one
// after the other, and the second sees the first's result), runs the core
// against a consistent ledger view and commits the result through the
// Ledger, which serialises all writers with a mutex. The license state
// lives in the ledger (and the store); an actor that crashes is restarted
// by the supervisor and reads it back.

type op uint8

const (
	opSettle op = iota + 1
	opAssess
	opBuy
)

// opMsg asks a license actor to settle, assess or sell its license.
type opMsg struct {
	op       op
	who      string
	expected Micro
	value    Micro
	now      time.Time
}

// opReply answers an opMsg.
type opReply struct {
	rec Receipt
	err error
}

// chargeMsg asks the charges actor to charge a call.
type chargeMsg struct {
	who    string
	amount Micro
	ref    string
	now    time.Time
}

// readyMsg is answered once the supervisor has spawned its children.
type readyMsg struct{}

func licenseChild(id string) string { return "lic-" + id }

const chargesChild = "charges"

type supervisorActor struct {
	led   *Ledger
	rules Rules
	ids   []string
	log   *slog.Logger
}

func supervisorProps(led *Ledger, rules Rules, ids []string, log *slog.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &supervisorActor{led: led, rules: rules, ids: ids, log: log}
	}, actor.WithSupervisor(actor.NewOneForOneStrategy(10, time.Minute, actor.DefaultDecider)))
}

func (s *supervisorActor) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		for _, id := range s.ids {
			props := actor.PropsFromProducer(func() actor.Actor {
				return &licenseActor{id: id, led: s.led, rules: s.rules, log: s.log}
			})
			if _, err := ctx.SpawnNamed(props, licenseChild(id)); err != nil {
				s.log.Error("license actor did not start", "license", id, "error", err)
			}
		}
		props := actor.PropsFromProducer(func() actor.Actor { return &chargesActor{led: s.led, log: s.log} })
		if _, err := ctx.SpawnNamed(props, chargesChild); err != nil {
			s.log.Error("charges actor did not start", "error", err)
		}
	case *readyMsg:
		ctx.Respond(&readyMsg{})
	}
}

type licenseActor struct {
	id    string
	led   *Ledger
	rules Rules
	log   *slog.Logger
	lic   License // last known state (the ledger's is authoritative)
}

func (a *licenseActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.lic, _ = a.led.License(a.id)
	case *opMsg:
		rec, err := a.apply(m)
		if err == nil {
			for _, l := range rec.Licenses {
				if l.ID == a.id {
					a.lic = l
				}
			}
		}
		if ctx.Sender() != nil {
			ctx.Respond(&opReply{rec: rec, err: err})
		}
	}
}

// apply runs the license core on the ledger's current state of the
// license and commits the result.
func (a *licenseActor) apply(m *opMsg) (Receipt, error) {
	return a.led.Do(m.now, func(v View) (Tx, error) {
		cur, ok := v.License(a.id)
		if !ok {
			return Tx{}, ErrUnknownLicense
		}
		var (
			next License
			ps   []Posting
			err  error
		)
		switch m.op {
		case opSettle:
			next, ps = cur.Settle(m.now, v.Balance(cur.Holder))
			if len(ps) == 0 {
				return Tx{}, nil
			}
			return Tx{Postings: ps, Licenses: []License{next}}, nil
		case opAssess:
			next, ps, err = cur.Assess(m.who, m.value, m.now, a.rules, v.Balance)
		case opBuy:
			next, ps, err = cur.Buy(m.who, m.expected, m.value, m.now, a.rules, v.Balance)
		}
		if err != nil {
			return Tx{}, err
		}
		return Tx{Postings: ps, Licenses: []License{next}, CheckGini: true}, nil
	})
}

type chargesActor struct {
	led *Ledger
	log *slog.Logger
}

func (c *chargesActor) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*chargeMsg)
	if !ok {
		return
	}
	if _, err := charge(c.led, m.who, m.amount, m.ref, m.now); err != nil {
		c.log.Warn("call not charged", "requester", m.who, "amount", m.amount.String(), "ref", m.ref, "error", err)
	}
}

// charge moves min(amount, balance) from who to the pool: a call that ran
// is paid for with what the requester has (the stage refuses calls from
// requesters who cannot pay CallPrice).
func charge(led *Ledger, who string, amount Micro, ref string, now time.Time) (Receipt, error) {
	return led.Do(now, func(v View) (Tx, error) {
		amt := min(amount, v.Balance(who))
		if amt <= 0 {
			return Tx{}, nil
		}
		return Tx{Postings: []Posting{{Kind: KindCharge, From: who, To: PoolAccount, Amount: amt, Ref: ref}}}, nil
	})
}
