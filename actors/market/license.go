package market

import (
	"fmt"
	"time"
)

// Kind is a license kind (seed §4.5).
type Kind string

// License kinds.
const (
	// KindInference is the right to use the compute pool (run tasks).
	KindInference Kind = "inference"
	// KindPattern is the right to elevated patterns.
	KindPattern Kind = "pattern"
	// KindFederation is the right to participate in consensus.
	KindFederation Kind = "federation"
)

// Valid reports whether k is one of the three kinds.
func (k Kind) Valid() bool {
	return k == KindInference || k == KindPattern || k == KindFederation
}

// MarketHolder is how a license held by the market (never bought, or
// foreclosed) shows its holder: License.Holder is "" and displays say
// "market".
const MarketHolder = ""

// License is the pure core of one Harberger-taxed license. It is a value:
// every method returns the next state and the postings that pay for it,
// and changes nothing.
//
// Tax accrues continuously on the declared Value at RatePPM parts per
// million per Year, from Since (the start of the current assessment: the
// last time the holder or the value changed). The tax owed for the
// interval [Since, now] is
//
//	Accrued(now) = floor(Value · RatePPM · (now − Since) / (10⁶ · Year))
//
// in exact integer arithmetic (nanoseconds, µcredits), and Paid is what
// has been collected of it so far. A settlement at now collects
// Accrued(now) − Paid. Because Accrued is computed over the whole
// assessment and not per settlement, settling often or rarely collects
// exactly the same total: the only rounding is one floor per assessment,
// which leaves the holder less than 1 µcredit ahead.
type License struct {
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"`
	Holder string `json:"holder"` // "" (MarketHolder): held by the market
	Value  Micro  `json:"value"`  // self-assessed value, µcredits
	// RatePPM is the tax rate of the current assessment, parts per million
	// per Year; a new assessment takes the configured rate.
	RatePPM int64     `json:"rate_ppm"`
	Since   time.Time `json:"since"`
	Paid    Micro     `json:"paid"`
	// Settled is the time of the last settlement.
	Settled time.Time `json:"settled"`
	// Seq counts changes of holder or value (assessments).
	Seq uint64 `json:"seq"`
}

// Rules are the limits a license core applies.
type Rules struct {
	// RatePPM is the tax rate given to new assessments.
	RatePPM int64
	// MinValue and MaxValue bound a declared value (inclusive).
	MinValue, MaxValue Micro
}

// CheckValue reports ErrBadValue for a declared value outside
// [MinValue, MaxValue].
func (r Rules) CheckValue(v Micro) error {
	if v < r.MinValue || v > r.MaxValue {
		return fmt.Errorf("%w: declared value %s credits is outside [%s, %s]", ErrBadValue, v, r.MinValue, r.MaxValue)
	}
	return nil
}

// Held reports whether an identity (not the market) holds l.
func (l License) Held() bool { return l.Holder != MarketHolder }

// HolderName is Holder, or "market" for a license the market holds.
func (l License) HolderName() string {
	if l.Held() {
		return l.Holder
	}
	return "market"
}

// Accrued is the tax of the current assessment from Since to now (0 while
// the market holds the license: the market pays no tax).
func (l License) Accrued(now time.Time) Micro {
	if !l.Held() {
		return 0
	}
	return accrue(l.Value, l.RatePPM, now.Sub(l.Since))
}

// Due is the tax accrued and not yet paid at now.
func (l License) Due(now time.Time) Micro {
	if d := l.Accrued(now) - l.Paid; d > 0 {
		return d
	}
	return 0
}

// Settle collects the tax due at now from a holder whose balance is
// balance. A holder who can pay it pays it in full (one tax posting to
// the pool). A holder who cannot pays all they have and loses the
// license: it goes back to the market at its last declared value, held by
// the market (no tax accrues) and buyable by anyone at that value, the
// price going to the pool (a foreclose posting records it). A time before
// the last settlement settles nothing.
func (l License) Settle(now time.Time, balance Micro) (License, []Posting) {
	if !l.Held() || now.Before(l.Settled) {
		return l, nil
	}
	due := l.Due(now)
	var ps []Posting
	if due <= balance {
		if due > 0 {
			ps = append(ps, Posting{Kind: KindTax, From: l.Holder, To: PoolAccount, Amount: due, Ref: l.ID, Value: l.Value})
		}
		l.Paid += due
		l.Settled = now
		return l, ps
	}
	if balance > 0 {
		ps = append(ps, Posting{Kind: KindTax, From: l.Holder, To: PoolAccount, Amount: balance, Ref: l.ID, Value: l.Value})
	}
	ps = append(ps, Posting{Kind: KindForeclose, From: l.Holder, Ref: l.ID, Value: l.Value})
	l = l.reassess(MarketHolder, l.Value, l.RatePPM, now)
	return l, ps
}

// Assess re-declares the value of l: settlement at the old value first,
// then a new assessment at value from now. Only the holder may assess.
func (l License) Assess(holder string, value Micro, now time.Time, r Rules, balance func(string) Micro) (License, []Posting, error) {
	if err := r.CheckValue(value); err != nil {
		return l, nil, err
	}
	if !l.Held() || l.Holder != holder {
		return l, nil, fmt.Errorf("%w: %s is held by %s, not %s", ErrNotHolder, l.ID, l.HolderName(), holder)
	}
	next, ps := l.Settle(now, balance(l.Holder))
	if !next.Held() {
		return l, nil, fmt.Errorf("%w: %s cannot pay the tax due on %s (%s credits) and would lose it", ErrInsufficientCredits, holder, l.ID, l.Due(now))
	}
	next = next.reassess(holder, value, r.RatePPM, now)
	ps = append(ps, Posting{Kind: KindAssess, From: holder, Ref: l.ID, Value: value})
	return next, ps, nil
}

// Buy is a forced sale: buyer pays the declared value to the holder (to
// the pool when the market holds it) and becomes the holder at the new
// declared value. The current holder's tax is settled first (which may
// foreclose the license: the buyer then buys it from the market at the
// same price). expected is the price the buyer saw; a different declared
// value is ErrStalePrice, so of two buyers who saw the same price and
// declare a different one, exactly one wins.
func (l License) Buy(buyer string, expected, value Micro, now time.Time, r Rules, balance func(string) Micro) (License, []Posting, error) {
	if err := r.CheckValue(value); err != nil {
		return l, nil, err
	}
	if expected < 0 {
		return l, nil, fmt.Errorf("%w: expected price %s is negative", ErrBadValue, expected)
	}
	if l.Held() && l.Holder == buyer {
		return l, nil, fmt.Errorf("%w: %s already holds %s", ErrOwnLicense, buyer, l.ID)
	}
	if l.Value != expected {
		return l, nil, fmt.Errorf("%w: %s is declared at %s credits, the buyer expected %s", ErrStalePrice, l.ID, l.Value, expected)
	}
	next := l
	var ps []Posting
	if l.Held() {
		next, ps = l.Settle(now, balance(l.Holder))
	}
	if have := balance(buyer); have < next.Value {
		return l, nil, fmt.Errorf("%w: %s has %s credits, the price of %s is %s", ErrInsufficientCredits, buyer, have, l.ID, next.Value)
	}
	seller := next.Holder
	if !next.Held() {
		seller = PoolAccount
	}
	ps = append(ps, Posting{Kind: KindPurchase, From: buyer, To: seller, Amount: next.Value, Ref: l.ID, Value: value})
	next = next.reassess(buyer, value, r.RatePPM, now)
	return next, ps, nil
}

// reassess starts a new assessment: holder and value from now, nothing
// paid yet.
func (l License) reassess(holder string, value Micro, ratePPM int64, now time.Time) License {
	l.Holder, l.Value, l.RatePPM = holder, value, ratePPM
	l.Since, l.Settled, l.Paid = now, now, 0
	l.Seq++
	return l
}
