package market

import "time"

// Tx is what a ledger writer asks the ledger to commit atomically: credit
// movements, the new states of the licenses they concern, and whether the
// fairness rule applies.
type Tx struct {
	Postings []Posting
	Licenses []License
	// CheckGini applies the fairness rule: the transaction is rejected
	// with ErrGini when it would raise the Gini coefficient of the wealth
	// distribution, and the result is above Config.MaxGini. Purchases,
	// assessments and transfers are checked; issuance, tax, foreclosure,
	// dividends and call charges (which pay for work already done) are
	// not.
	CheckGini bool
	// Epochs, when non-zero, is the number of epochs this transaction
	// closes.
	Epochs uint64
}

// View is a consistent read-only view of the ledger given to the function
// passed to Ledger.Do, which runs while the ledger is locked for writing.
type View struct{ l *Ledger }

// Balance is an account's balance.
func (v View) Balance(id string) Micro { return v.l.bal[id] }

// License returns the license with the id.
func (v View) License(id string) (License, bool) {
	lic, ok := v.l.lic[id]
	return lic, ok
}

// Holders returns the identities holding at least one license, sorted.
func (v View) Holders() []string { return v.l.holdersLocked() }

// Epoch returns the number of epochs closed and the ledger's genesis time.
func (v View) Epoch() (closed uint64, genesis time.Time) {
	return v.l.head.Epoch, v.l.head.Genesis
}

// Issued returns the credits issued so far.
func (v View) Issued() Micro { return v.l.head.Issued }

// Receipt is what a committed transaction produced.
type Receipt struct {
	// Entries are the signed ledger entries, in order.
	Entries []Entry `json:"entries"`
	// Licenses are the new states of the licenses the transaction changed.
	Licenses []License `json:"licenses,omitempty"`
	// GiniBefore and GiniAfter are the Gini coefficient of the wealth
	// distribution before and after the transaction, when the fairness
	// rule was applied (Tx.CheckGini); 0 otherwise.
	GiniBefore float64 `json:"gini_before"`
	GiniAfter  float64 `json:"gini_after"`
}
