package market

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/store"
)

// Market is the compute market of one node: the ledger, one actor per
// license, the call-charge writer, the settlement timer, and the request
// handlers (HandleSigned, Handler, SubscribeNATS). It is safe for
// concurrent use.
type Market struct {
	cfg      Config
	rules    Rules
	key      ed25519.PrivateKey
	id       string
	led      *Ledger
	commit   *store.Committer
	sys      *actor.ActorSystem
	sup      *actor.PID
	charges  *actor.PID
	pids     map[string]*actor.PID
	verifier *pci.Verifier
	log      *slog.Logger

	stopped  atomic.Bool
	stopOnce sync.Once
	quit     chan struct{}
	timer    sync.WaitGroup // the settlement timer goroutine
}

// Open opens the market in s (a store.Committer of its own, so every
// ledger write is synced), audits the ledger (ErrAudit when the stored
// entries do not recompute to the stored balances), creates the genesis
// when the ledger is new and any configured license it lacks, spawns the
// market's actors in sys under cfg.ActorName and starts the settlement
// timer. key is the node's identity key: it signs the ledger entries.
// Stop releases all of it (but not s or sys).
func Open(s *store.Store, key ed25519.PrivateKey, cfg Config, sys *actor.ActorSystem) (_ *Market, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: node key is %d bytes, want %d", ErrConfig, len(key), ed25519.PrivateKeySize)
	}
	if sys == nil {
		return nil, fmt.Errorf("%w: nil actor system", ErrConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	verifier, err := pci.NewVerifier(cfg.PCI)
	if err != nil {
		return nil, fmt.Errorf("%w: PCI: %w", ErrConfig, err)
	}
	m := &Market{cfg: cfg, rules: cfg.rules(), key: key, id: pci.PublicKeyID(key.Public().(ed25519.PublicKey)),
		sys: sys, pids: map[string]*actor.PID{}, verifier: verifier, log: cfg.Logger.With("component", "market"),
		quit: make(chan struct{})}
	if m.commit, err = s.NewCommitter(); err != nil {
		return nil, fmt.Errorf("market: %w", err)
	}
	defer func() {
		if err != nil {
			m.commit.Stop()
		}
	}()
	m.led, err = OpenLedger(s, m.commit, LedgerConfig{Key: key, Signers: cfg.LedgerSigners, MaxGini: cfg.MaxGini, MaxSupply: cfg.MaxSupply})
	if err != nil {
		return nil, err
	}
	now := cfg.Now()
	if _, err = m.led.Do(now, func(v View) (Tx, error) {
		if _, g := v.Epoch(); g.IsZero() && v.Issued() == 0 && len(v.l.lic) == 0 {
			return genesisTx(cfg, now), nil
		}
		return newLicensesTx(cfg, v, now), nil
	}); err != nil {
		return nil, fmt.Errorf("market: genesis: %w", err)
	}
	ids := make([]string, 0, len(cfg.Licenses))
	for _, lic := range m.led.Licenses() {
		ids = append(ids, lic.ID)
	}
	m.sup, err = sys.Root.SpawnNamed(supervisorProps(m.led, m.rules, ids, m.log), cfg.ActorName)
	if err != nil {
		return nil, fmt.Errorf("market: supervisor: %w", err)
	}
	if _, err = sys.Root.RequestFuture(m.sup, &readyMsg{}, cfg.RequestTimeout).Result(); err != nil {
		_ = sys.Root.StopFuture(m.sup).Wait()
		return nil, fmt.Errorf("market: supervisor did not start: %w", err)
	}
	for _, id := range ids {
		m.pids[id] = actor.NewPID(sys.Address(), cfg.ActorName+"/"+licenseChild(id))
	}
	m.charges = actor.NewPID(sys.Address(), cfg.ActorName+"/"+chargesChild)
	if cfg.SettleInterval > 0 {
		m.timer.Add(1)
		go m.settleLoop()
	}
	t := m.led.Totals()
	m.log.Info("market open", "entries", t.Seq, "supply", t.Issued.String(), "pool", t.Pool.String(),
		"licenses", len(ids), "genesis_holder", cfg.GenesisHolder)
	return m, nil
}

// settleLoop is the settlement timer; Stop ends it.
func (m *Market) settleLoop() {
	defer m.timer.Done()
	t := time.NewTicker(m.cfg.SettleInterval)
	defer t.Stop()
	for {
		select {
		case <-m.quit:
			return
		case <-t.C:
			if _, err := m.Settle(m.cfg.Now()); err != nil && !errors.Is(err, ErrStopped) {
				m.log.Warn("settlement failed", "error", err)
			}
		}
	}
}

// Stop stops the timer, the market's actors (waiting for the operations
// they are running) and the ledger's Committer. Later calls return
// ErrStopped. Safe to call more than once.
func (m *Market) Stop() {
	m.stopOnce.Do(func() {
		m.stopped.Store(true)
		close(m.quit)
		m.timer.Wait()
		_ = m.sys.Root.StopFuture(m.sup).Wait()
		m.led.Close()
		m.commit.Stop()
		m.log.Info("market stopped")
	})
}

// Config returns the market's configuration.
func (m *Market) Config() Config { return m.cfg }

// Ledger returns the market's ledger (reads: balances, licenses, entries).
func (m *Market) Ledger() *Ledger { return m.led }

// NodeID is the key id that signs the ledger.
func (m *Market) NodeID() string { return m.id }

// Status is the market at a glance.
type Status struct {
	// Supply is every credit issued (= the sum of all balances).
	Supply Micro `json:"supply"`
	// TaxPool is the pool's balance: tax and charges awaiting the dividend.
	TaxPool Micro `json:"tax_pool"`
	// TaxCollected is all tax ever collected.
	TaxCollected Micro `json:"tax_collected"`
	// Gini is the Gini coefficient of the wealth distribution; MaxGini its
	// limit.
	Gini    float64 `json:"gini"`
	MaxGini float64 `json:"max_gini"`
	// Licenses counts the licenses, Held those an identity holds.
	Licenses int `json:"licenses"`
	Held     int `json:"held"`
	Accounts int `json:"accounts"`
	// Entries is the ledger's length and Head its last entry's hash.
	Entries uint64 `json:"entries"`
	Head    Hash   `json:"head"`
	// Epoch counts the epochs closed; NextEpoch is when the next closes.
	Epoch     uint64    `json:"epoch"`
	NextEpoch time.Time `json:"next_epoch"`
	// TaxRatePPM is the tax rate (parts per million per year).
	TaxRatePPM int64  `json:"tax_rate_ppm"`
	Signer     string `json:"signer"`
}

// Status returns the market's counters.
func (m *Market) Status() Status {
	t := m.led.Totals()
	held := 0
	lics := m.led.Licenses()
	for _, l := range lics {
		if l.Held() {
			held++
		}
	}
	return Status{Supply: t.Issued, TaxPool: t.Pool, TaxCollected: t.TaxCollected, Gini: m.led.Gini(), MaxGini: m.cfg.MaxGini,
		Licenses: len(lics), Held: held, Accounts: t.Accounts, Entries: t.Seq, Head: t.Head, Epoch: t.Epoch,
		NextEpoch: t.Genesis.Add(time.Duration(t.Epoch+1) * m.cfg.Epoch), TaxRatePPM: m.cfg.TaxRatePPM, Signer: m.id}
}

// LicenseInfo is a license as listed: its state and the tax due now.
type LicenseInfo struct {
	License
	HolderName string `json:"holder_name"`
	Due        Micro  `json:"due"`
	// YearlyTax is the tax a year at the declared value costs.
	YearlyTax Micro `json:"yearly_tax"`
}

// Licenses lists every license at the market's current time.
func (m *Market) Licenses() []LicenseInfo {
	now := m.cfg.Now()
	lics := m.led.Licenses()
	out := make([]LicenseInfo, len(lics))
	for i, l := range lics {
		out[i] = LicenseInfo{License: l, HolderName: l.HolderName(), Due: l.Due(now), YearlyTax: accrue(l.Value, m.cfg.TaxRatePPM, Year)}
	}
	return out
}

// Balance returns an account's balance: an identity's or the pool's.
func (m *Market) Balance(id string) (Micro, error) {
	if id != PoolAccount {
		if err := checkIdentity(id); err != nil {
			return 0, err
		}
	}
	return m.led.Balance(id), nil
}

// Assess re-declares the value of license id held by requester (tax at
// the old value is settled first). Fairness rule applies.
func (m *Market) Assess(requester, id string, value Micro) (Receipt, error) {
	if err := m.check(requester, id); err != nil {
		return Receipt{}, err
	}
	if err := m.rules.CheckValue(value); err != nil {
		return Receipt{}, err
	}
	return m.ask(id, &opMsg{op: opAssess, who: requester, value: value, now: m.cfg.Now()})
}

// Buy buys license id at expectedPrice (its declared value, as the buyer
// saw it) and declares newValue. See License.Buy for the rules.
func (m *Market) Buy(requester, id string, expectedPrice, newValue Micro) (Receipt, error) {
	if err := m.check(requester, id); err != nil {
		return Receipt{}, err
	}
	if expectedPrice < 0 || expectedPrice > m.cfg.MaxValue {
		return Receipt{}, fmt.Errorf("%w: expected price %d µcredits is outside [0, %s]", ErrBadValue, expectedPrice, m.cfg.MaxValue)
	}
	if err := m.rules.CheckValue(newValue); err != nil {
		return Receipt{}, err
	}
	return m.ask(id, &opMsg{op: opBuy, who: requester, expected: expectedPrice, value: newValue, now: m.cfg.Now()})
}

// Transfer moves amount from one identity to another. Fairness rule
// applies.
func (m *Market) Transfer(from, to string, amount Micro) (Receipt, error) {
	if m.stopped.Load() {
		return Receipt{}, ErrStopped
	}
	for _, id := range []string{from, to} {
		if err := checkIdentity(id); err != nil {
			return Receipt{}, err
		}
	}
	if from == to {
		return Receipt{}, fmt.Errorf("%w: transfer to oneself", ErrBadIdentity)
	}
	if amount <= 0 || amount > MaxAmount {
		return Receipt{}, fmt.Errorf("%w: transfer amount %d µcredits must be positive", ErrBadValue, amount)
	}
	return m.led.Do(m.cfg.Now(), func(View) (Tx, error) {
		return Tx{Postings: []Posting{{Kind: KindTransfer, From: from, To: to, Amount: amount}}, CheckGini: true}, nil
	})
}

// Charge charges a call's cost (Config.Cost of u, or what the requester
// has left when that is less) to who, into the pool, and returns once it
// is durable. The license check stage charges asynchronously through the
// charges actor; Charge is for callers that know more (token counts).
func (m *Market) Charge(who string, u Usage, ref string) (Receipt, error) {
	if m.stopped.Load() {
		return Receipt{}, ErrStopped
	}
	if err := checkIdentity(who); err != nil {
		return Receipt{}, err
	}
	return charge(m.led, who, m.cfg.Cost(u), ref, m.cfg.Now())
}

// SettleReport says what a settlement did.
type SettleReport struct {
	// Tax is the tax collected, Foreclosed the licenses whose holders
	// could not pay it.
	Tax        Micro    `json:"tax"`
	Foreclosed []string `json:"foreclosed,omitempty"`
	// Epochs is the number of epochs closed; Issued the epoch issuance and
	// Dividend the total paid out to Holders identities.
	Epochs   uint64 `json:"epochs"`
	Issued   Micro  `json:"issued"`
	Dividend Micro  `json:"dividend"`
	Holders  int    `json:"holders"`
}

// Settle settles every license's tax at now (each through its actor) and
// then closes the epochs ended by now (issuance and dividend). The
// Market's timer calls it every SettleInterval.
func (m *Market) Settle(now time.Time) (SettleReport, error) {
	if m.stopped.Load() {
		return SettleReport{}, ErrStopped
	}
	var rep SettleReport
	futures := make(map[string]*actor.Future, len(m.pids))
	for id, pid := range m.pids {
		futures[id] = m.sys.Root.RequestFuture(pid, &opMsg{op: opSettle, now: now}, m.cfg.RequestTimeout)
	}
	var errs []error
	for id, f := range futures {
		rec, err := m.result(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("license %s: %w", id, err))
			continue
		}
		for _, e := range rec.Entries {
			switch e.Kind {
			case KindTax:
				rep.Tax += e.Amount
			case KindForeclose:
				rep.Foreclosed = append(rep.Foreclosed, e.Ref)
			}
		}
	}
	rec, err := m.led.Do(now, func(v View) (Tx, error) {
		tx := epochTx(m.cfg, v, now)
		rep.Epochs = tx.Epochs
		return tx, nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	holders := map[string]bool{}
	for _, e := range rec.Entries {
		switch e.Kind {
		case KindIssue:
			rep.Issued += e.Amount
		case KindDividend:
			rep.Dividend += e.Amount
			holders[e.To] = true
		}
	}
	rep.Holders = len(holders)
	return rep, errors.Join(errs...)
}

// check validates a requester and a license id.
func (m *Market) check(requester, id string) error {
	if m.stopped.Load() {
		return ErrStopped
	}
	if err := checkIdentity(requester); err != nil {
		return err
	}
	if _, ok := m.pids[id]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownLicense, id)
	}
	return nil
}

// ask sends an operation to a license's actor and waits for its answer.
func (m *Market) ask(id string, msg *opMsg) (Receipt, error) {
	return m.result(m.sys.Root.RequestFuture(m.pids[id], msg, m.cfg.RequestTimeout))
}

func (m *Market) result(f *actor.Future) (Receipt, error) {
	v, err := f.Result()
	switch {
	case errors.Is(err, actor.ErrTimeout):
		return Receipt{}, ErrTimeout
	case err != nil:
		return Receipt{}, fmt.Errorf("%w: %v", ErrStopped, err)
	}
	r, ok := v.(*opReply)
	if !ok {
		return Receipt{}, fmt.Errorf("%w: license actor answered %T", ErrStopped, v)
	}
	return r.rec, r.err
}
