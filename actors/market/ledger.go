package market

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/store"
)

// Store keys. Everything the market writes is under store.PrefixLedger
// and store.PrefixLicense, and every write is one synced batch.
const (
	keyHead     = "head"    // ledger/head: headRecord (JSON)
	keyEntries  = "e/"      // ledger/e/<seq, 20 digits>: Entry (JSON)
	keyBalances = "b/"      // ledger/b/<account>: balance, decimal µcredits
	seqDigits   = "%020d"   // entry keys sort in sequence order
	giniEpsilon = 1e-12     // Gini differences below this are rounding
	poolPrefix  = "market:" // accounts of the market itself
)

// headRecord is the ledger's snapshot header, written with every batch.
type headRecord struct {
	Seq          uint64    `json:"seq"`
	Hash         Hash      `json:"hash"`
	Issued       Micro     `json:"issued"`
	TaxCollected Micro     `json:"tax_collected"`
	Epoch        uint64    `json:"epoch"`
	Genesis      time.Time `json:"genesis"`
}

// Ledger is the credit ledger and the register of licenses. Writers are
// serialised by a mutex (Do): one transaction at a time is validated,
// signed, written as one synced batch through a store.Committer and then
// applied in memory, so the ledger on disk and in memory never disagree.
// Readers (Balance, License, …) take a read lock that writers hold only
// while applying a committed transaction, never during the fsync.
//
// Credits are created only by KindIssue postings, which only the
// issuance rule (genesis grants, epoch issuance) makes; every other
// posting moves credits between accounts and no balance may go negative,
// so the sum of all balances always equals Issued.
type Ledger struct {
	s       *store.Store
	c       *store.Committer
	key     ed25519.PrivateKey
	signer  string
	maxGini float64
	supply  Micro

	mu     sync.Mutex // serialises writers
	closed bool       // guarded by mu

	rw       sync.RWMutex // guards the fields below against readers
	head     headRecord
	bal      map[string]Micro
	lic      map[string]License
	holdings map[string]map[Kind]int // holder → kind → licenses held
	gini     float64
	dirty    bool // gini needs recomputing
}

// LedgerConfig configures OpenLedger.
type LedgerConfig struct {
	// Key signs new entries; its id must be the signer of old ones too,
	// unless listed in Signers.
	Key ed25519.PrivateKey
	// Signers are further key ids accepted as signers of old entries.
	Signers []string
	// MaxGini and MaxSupply are the fairness and supply limits.
	MaxGini   float64
	MaxSupply Micro
}

// OpenLedger loads the ledger from s and audits it: every entry's hash,
// signature and link to its predecessor is checked, balances, issued
// credits, tax collected and license holders and values are recomputed
// from the entries and must equal the stored snapshot (ledger/head,
// ledger/b/…, lic/…), and the balances must sum to the credits issued.
// Any difference is ErrAudit. Writes go through c (synced).
func OpenLedger(s *store.Store, c *store.Committer, cfg LedgerConfig) (*Ledger, error) {
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: ledger key is %d bytes", ErrConfig, len(cfg.Key))
	}
	l := &Ledger{
		s: s, c: c, key: cfg.Key, signer: pci.PublicKeyID(cfg.Key.Public().(ed25519.PublicKey)),
		maxGini: cfg.MaxGini, supply: cfg.MaxSupply,
		bal: map[string]Micro{}, lic: map[string]License{}, holdings: map[string]map[Kind]int{}, dirty: true,
	}
	signers := map[string]bool{l.signer: true}
	for _, s := range cfg.Signers {
		signers[s] = true
	}
	if err := l.load(signers); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Ledger) load(signers map[string]bool) error {
	raw, err := l.s.Get(store.Key(store.PrefixLedger, keyHead))
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("market: ledger: %w", err)
	default:
		if err := json.Unmarshal(raw, &l.head); err != nil {
			return fmt.Errorf("%w: head record: %v", ErrAudit, err)
		}
	}
	// Replay the entries.
	var (
		want   uint64 = 1
		prev   Hash
		issued Micro
		tax    Micro
		bal    = map[string]Micro{}
		lics   = map[string][2]string{} // id → holder, value (as recorded)
	)
	err = l.s.Scan(store.Key(store.PrefixLedger, keyEntries), func(k, v []byte) error {
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrAudit, k, err)
		}
		if string(k) != string(entryKey(e.Seq)) || e.Seq != want {
			return fmt.Errorf("%w: %s holds entry %d, want %d", ErrAudit, k, e.Seq, want)
		}
		if e.Prev != prev {
			return fmt.Errorf("%w: entry %d does not link to entry %d", ErrAudit, e.Seq, e.Seq-1)
		}
		if !signers[e.Signer] {
			return fmt.Errorf("%w: entry %d signed by %s, not this node's key", ErrAudit, e.Seq, e.Signer)
		}
		if err := e.Verify(); err != nil {
			return err
		}
		if e.Amount < 0 {
			return fmt.Errorf("%w: entry %d has a negative amount", ErrAudit, e.Seq)
		}
		e.apply(bal)
		switch e.Kind {
		case KindIssue:
			issued += e.Amount
		case KindTax:
			tax += e.Amount
		case KindLicense:
			lics[e.Ref] = [2]string{e.To, strconv.FormatInt(int64(e.Value), 10)}
		case KindAssess:
			lics[e.Ref] = [2]string{e.From, strconv.FormatInt(int64(e.Value), 10)}
		case KindPurchase:
			lics[e.Ref] = [2]string{e.From, strconv.FormatInt(int64(e.Value), 10)}
		case KindForeclose:
			lics[e.Ref] = [2]string{MarketHolder, strconv.FormatInt(int64(e.Value), 10)}
		}
		prev = e.Hash
		want++
		return nil
	})
	if err != nil {
		return err
	}
	h := l.head
	if h.Seq != want-1 || h.Hash != prev || h.Issued != issued || h.TaxCollected != tax {
		return fmt.Errorf("%w: snapshot says seq %d, issued %s, tax %s; the entries give seq %d, issued %s, tax %s",
			ErrAudit, h.Seq, h.Issued, h.TaxCollected, want-1, issued, tax)
	}
	// Stored balances must be the recomputed ones.
	stored := map[string]Micro{}
	err = l.s.Scan(store.Key(store.PrefixLedger, keyBalances), func(k, v []byte) error {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrAudit, k, err)
		}
		stored[strings.TrimPrefix(string(k), store.PrefixLedger+keyBalances)] = Micro(n)
		return nil
	})
	if err != nil {
		return err
	}
	var sum Micro
	for id, b := range bal {
		if stored[id] != b {
			return fmt.Errorf("%w: account %s: stored balance %s, recomputed %s", ErrAudit, id, stored[id], b)
		}
		if b < 0 {
			return fmt.Errorf("%w: account %s has a negative balance %s", ErrAudit, id, b)
		}
		sum += b
	}
	if len(stored) != len(bal) {
		return fmt.Errorf("%w: %d stored balances, %d recomputed", ErrAudit, len(stored), len(bal))
	}
	if sum != issued {
		return fmt.Errorf("%w: balances sum to %s, issued %s", ErrAudit, sum, issued)
	}
	// Stored licenses must match the last event of each.
	err = l.s.Scan([]byte(store.PrefixLicense), func(k, v []byte) error {
		var lic License
		if err := json.Unmarshal(v, &lic); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrAudit, k, err)
		}
		got := [2]string{lic.Holder, strconv.FormatInt(int64(lic.Value), 10)}
		if want, ok := lics[lic.ID]; !ok || want != got || string(k) != string(licenseKey(lic.ID)) {
			return fmt.Errorf("%w: license %s: stored holder %q value %s; the entries give %q %s", ErrAudit, lic.ID, got[0], lic.Value, want[0], want[1])
		}
		l.lic[lic.ID] = lic
		return nil
	})
	if err != nil {
		return err
	}
	if len(l.lic) != len(lics) {
		return fmt.Errorf("%w: %d stored licenses, %d in the entries", ErrAudit, len(l.lic), len(lics))
	}
	l.bal = bal
	for _, lic := range l.lic {
		l.hold(lic, 1)
	}
	return nil
}

func entryKey(seq uint64) []byte {
	return store.Key(store.PrefixLedger, keyEntries+fmt.Sprintf(seqDigits, seq))
}

func balanceKey(id string) []byte { return store.Key(store.PrefixLedger, keyBalances+id) }

func licenseKey(id string) []byte { return store.Key(store.PrefixLicense, id) }

// hold adds (n = 1) or removes (n = -1) lic from its holder's holdings.
func (l *Ledger) hold(lic License, n int) {
	if !lic.Held() {
		return
	}
	m := l.holdings[lic.Holder]
	if m == nil {
		m = map[Kind]int{}
		l.holdings[lic.Holder] = m
	}
	m[lic.Kind] += n
	if m[lic.Kind] <= 0 {
		delete(m, lic.Kind)
	}
	if len(m) == 0 {
		delete(l.holdings, lic.Holder)
	}
}

// Do runs fn with a consistent view of the ledger and commits the
// transaction it returns: postings are validated (known kinds, amounts in
// [0, MaxAmount], only issuance creates credits and only within
// MaxSupply, no balance below zero), the fairness rule is applied when
// tx.CheckGini, then the entries are numbered, linked, signed and written
// with the new balances, licenses and head as one synced batch. Only
// after the write is durable is the ledger in memory changed. An error
// from fn or from validation leaves the ledger untouched. fn runs with
// the writer lock held: it must not call the Ledger.
func (l *Ledger) Do(now time.Time, fn func(View) (Tx, error)) (Receipt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return Receipt{}, ErrStopped
	}
	tx, err := fn(View{l})
	if err != nil {
		return Receipt{}, err
	}
	return l.commit(now, tx)
}

func (l *Ledger) commit(now time.Time, tx Tx) (Receipt, error) {
	if len(tx.Postings) == 0 && len(tx.Licenses) == 0 && tx.Epochs == 0 {
		return Receipt{}, nil
	}
	nb := map[string]Micro{} // balances changed
	cur := func(id string) Micro {
		if b, ok := nb[id]; ok {
			return b
		}
		return l.bal[id]
	}
	issued, tax := l.head.Issued, l.head.TaxCollected
	created := map[string]bool{}
	for i, p := range tx.Postings {
		if err := l.checkPosting(p); err != nil {
			return Receipt{}, fmt.Errorf("posting %d: %w", i, err)
		}
		switch p.Kind {
		case KindIssue:
			if issued+p.Amount > l.supply {
				return Receipt{}, fmt.Errorf("%w: issuing %s credits would take the supply to %s, above %s", ErrSupply, p.Amount, issued+p.Amount, l.supply)
			}
			issued += p.Amount
		case KindTax:
			tax += p.Amount
		case KindLicense:
			created[p.Ref] = true
		}
		if p.Amount == 0 {
			continue
		}
		if p.From != "" {
			if have := cur(p.From); have < p.Amount {
				return Receipt{}, fmt.Errorf("%w: %s has %s credits, needs %s (%s)", ErrInsufficientCredits, p.From, have, p.Amount, p.Kind)
			}
			nb[p.From] = cur(p.From) - p.Amount
		}
		nb[p.To] = cur(p.To) + p.Amount
	}
	nl := map[string]License{}
	for _, lic := range tx.Licenses {
		if _, ok := l.lic[lic.ID]; !ok && !created[lic.ID] {
			return Receipt{}, fmt.Errorf("%w: %q", ErrUnknownLicense, lic.ID)
		}
		nl[lic.ID] = lic
	}
	var before, after float64
	if tx.CheckGini {
		l.rw.Lock()
		before = l.currentGini()
		l.rw.Unlock()
		after = Gini(l.wealth(nb, nl))
		if after > before+giniEpsilon && after > l.maxGini {
			return Receipt{}, fmt.Errorf("%w: the transaction would raise the Gini coefficient from %.4f to %.4f, above the limit %.2f",
				ErrGini, before, after, l.maxGini)
		}
	}

	head := l.head
	head.Issued, head.TaxCollected = issued, tax
	head.Epoch += tx.Epochs
	if head.Seq == 0 && head.Genesis.IsZero() {
		head.Genesis = now.UTC()
	}
	var b store.Batch
	rec := Receipt{GiniBefore: before, GiniAfter: after}
	for _, p := range tx.Postings {
		e := Entry{Seq: head.Seq + 1, Kind: p.Kind, From: p.From, To: p.To, Amount: p.Amount, Ref: p.Ref, Value: p.Value,
			Time: now.UTC(), Prev: head.Hash}
		e.sign(l.key, l.signer)
		data, err := json.Marshal(&e)
		if err != nil {
			return Receipt{}, fmt.Errorf("market: encoding entry: %w", err)
		}
		b.Put(entryKey(e.Seq), data)
		head.Seq, head.Hash = e.Seq, e.Hash
		rec.Entries = append(rec.Entries, e)
	}
	for _, id := range slices.Sorted(maps.Keys(nb)) {
		b.Put(balanceKey(id), []byte(strconv.FormatInt(int64(nb[id]), 10)))
	}
	for _, id := range slices.Sorted(maps.Keys(nl)) {
		data, err := json.Marshal(nl[id])
		if err != nil {
			return Receipt{}, fmt.Errorf("market: encoding license: %w", err)
		}
		b.Put(licenseKey(id), data)
		rec.Licenses = append(rec.Licenses, nl[id])
	}
	hd, err := json.Marshal(head)
	if err != nil {
		return Receipt{}, fmt.Errorf("market: encoding head: %w", err)
	}
	b.Put(store.Key(store.PrefixLedger, keyHead), hd)
	if err := l.c.Commit(&b); err != nil {
		return Receipt{}, fmt.Errorf("market: ledger write: %w", err)
	}

	l.rw.Lock()
	defer l.rw.Unlock()
	maps.Copy(l.bal, nb)
	for id, lic := range nl {
		if old, ok := l.lic[id]; ok {
			l.hold(old, -1)
		}
		l.lic[id] = lic
		l.hold(lic, 1)
	}
	l.head = head
	if tx.CheckGini {
		l.gini, l.dirty = after, false
	} else if len(nb) > 0 || len(nl) > 0 {
		l.dirty = true
	}
	return rec, nil
}

// checkPosting validates one posting's shape.
func (l *Ledger) checkPosting(p Posting) error {
	if p.Amount < 0 || p.Amount > MaxAmount {
		return fmt.Errorf("%w: amount %d", ErrBadValue, p.Amount)
	}
	if p.Value < 0 || p.Value > MaxAmount {
		return fmt.Errorf("%w: value %d", ErrBadValue, p.Value)
	}
	account := func(id string, pool bool) error {
		if pool && id == PoolAccount {
			return nil
		}
		return checkIdentity(id)
	}
	switch p.Kind {
	case KindIssue:
		if p.From != "" {
			return fmt.Errorf("%w: an issue posting has no payer", ErrBadIdentity)
		}
		return account(p.To, true)
	case KindLicense:
		if p.Amount != 0 {
			return fmt.Errorf("%w: a license posting moves no credits", ErrBadValue)
		}
		if p.To != MarketHolder {
			return account(p.To, false)
		}
		return nil
	case KindAssess, KindForeclose:
		if p.Amount != 0 {
			return fmt.Errorf("%w: a %s posting moves no credits", ErrBadValue, p.Kind)
		}
		return account(p.From, false)
	case KindTransfer, KindPurchase:
		if err := account(p.From, false); err != nil {
			return err
		}
		return account(p.To, p.Kind == KindPurchase)
	case KindTax, KindCharge:
		if err := account(p.From, false); err != nil {
			return err
		}
		if p.To != PoolAccount {
			return fmt.Errorf("%w: %s goes to the pool, not %s", ErrBadIdentity, p.Kind, p.To)
		}
		return nil
	case KindDividend:
		if p.From != PoolAccount {
			return fmt.Errorf("%w: dividends come from the pool", ErrBadIdentity)
		}
		return account(p.To, false)
	}
	return fmt.Errorf("%w: unknown posting kind %q", ErrBadRequest, p.Kind)
}

// Wealth returns each identity's wealth: its balance plus the declared
// values of the licenses it holds, for every identity the ledger knows
// (one that has held credits or a license, even if it now has nothing).
// The pool is not an identity and is left out. This is the distribution
// whose Gini coefficient the fairness rule bounds. Keeping identities
// that have run out in it means that emptying an account into a richer
// one raises the Gini, as it should, instead of making the poor identity
// vanish from the measure.
func (l *Ledger) Wealth() map[string]Micro {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return l.wealthMap(nil, nil)
}

func (l *Ledger) wealthMap(nb map[string]Micro, nl map[string]License) map[string]Micro {
	w := make(map[string]Micro, len(l.bal))
	for id, b := range l.bal {
		w[id] = b
	}
	maps.Copy(w, nb)
	for id, lic := range l.lic {
		if n, ok := nl[id]; ok {
			lic = n
		}
		if lic.Held() {
			w[lic.Holder] += lic.Value
		}
	}
	for id, lic := range nl {
		if _, ok := l.lic[id]; !ok && lic.Held() {
			w[lic.Holder] += lic.Value
		}
	}
	delete(w, PoolAccount)
	return w
}

func (l *Ledger) wealth(nb map[string]Micro, nl map[string]License) []Micro {
	w := l.wealthMap(nb, nl)
	out := make([]Micro, 0, len(w))
	for _, v := range w {
		out = append(out, v)
	}
	return out
}

// currentGini returns the cached Gini, recomputing it when stale. Called
// with mu or rw held.
func (l *Ledger) currentGini() float64 {
	if l.dirty {
		l.gini, l.dirty = Gini(l.wealth(nil, nil)), false
	}
	return l.gini
}

// Gini is the Gini coefficient of the wealth distribution (see Wealth).
func (l *Ledger) Gini() float64 {
	l.rw.Lock()
	defer l.rw.Unlock()
	return l.currentGini()
}

// Balance returns an account's balance (0 for an unknown account).
func (l *Ledger) Balance(id string) Micro {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return l.bal[id]
}

// Balances returns a copy of every account's balance.
func (l *Ledger) Balances() map[string]Micro {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return maps.Clone(l.bal)
}

// License returns the license with the id.
func (l *Ledger) License(id string) (License, bool) {
	l.rw.RLock()
	defer l.rw.RUnlock()
	lic, ok := l.lic[id]
	return lic, ok
}

// Licenses returns every license, sorted by id.
func (l *Ledger) Licenses() []License {
	l.rw.RLock()
	defer l.rw.RUnlock()
	out := make([]License, 0, len(l.lic))
	for _, id := range slices.Sorted(maps.Keys(l.lic)) {
		out = append(out, l.lic[id])
	}
	return out
}

// Holds reports whether id holds a license of kind k.
func (l *Ledger) Holds(id string, k Kind) bool {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return l.holdings[id][k] > 0
}

// holdersLocked returns the holders, sorted. Called with mu or rw held.
func (l *Ledger) holdersLocked() []string {
	return slices.Sorted(maps.Keys(l.holdings))
}

// LedgerTotals are the ledger's counters.
type LedgerTotals struct {
	Seq          uint64
	Head         Hash
	Issued       Micro
	TaxCollected Micro
	Pool         Micro
	Epoch        uint64
	Genesis      time.Time
	Accounts     int
}

// Totals returns the ledger's counters.
func (l *Ledger) Totals() LedgerTotals {
	l.rw.RLock()
	defer l.rw.RUnlock()
	return LedgerTotals{Seq: l.head.Seq, Head: l.head.Hash, Issued: l.head.Issued, TaxCollected: l.head.TaxCollected,
		Pool: l.bal[PoolAccount], Epoch: l.head.Epoch, Genesis: l.head.Genesis, Accounts: len(l.bal)}
}

// Entries returns up to limit entries from sequence number from on, read
// from the store.
func (l *Ledger) Entries(from uint64, limit int) ([]Entry, error) {
	var out []Entry
	err := l.s.Scan(store.Key(store.PrefixLedger, keyEntries), func(k, v []byte) error {
		if len(out) >= limit {
			return store.ErrStop
		}
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrAudit, k, err)
		}
		if e.Seq >= from {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Close makes later Do calls fail with ErrStopped and waits for the one
// in progress. It does not stop the Committer or the Store. Safe to call
// twice.
func (l *Ledger) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}
