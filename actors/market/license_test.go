package market

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

var testRules = Rules{RatePPM: 70_000, MinValue: 1, MaxValue: 1_000_000_000 * Credit}

func held(holder string, value Micro) License {
	return License{ID: "inference-1", Kind: KindInference, Holder: holder, Value: value, RatePPM: 70_000, Since: t0, Settled: t0, Seq: 1}
}

// exactTax is floor(v · r · d / (10⁶ · Year)) computed independently.
func exactTax(v Micro, r int64, d time.Duration) Micro {
	n := new(big.Rat).SetFrac(new(big.Int).Mul(new(big.Int).Mul(big.NewInt(int64(v)), big.NewInt(r)), big.NewInt(int64(d))),
		new(big.Int).Mul(big.NewInt(RateDenominator), big.NewInt(int64(Year))))
	q := new(big.Int).Quo(n.Num(), n.Denom())
	return Micro(q.Int64())
}

func TestTaxAccrualTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value Micro
		d     time.Duration
		want  Micro
	}{
		{"one year at 7 %", 100 * Credit, Year, 7 * Credit},
		{"half a year", 100 * Credit, Year / 2, 3*Credit + Credit/2},
		{"one day", 100 * Credit, 24 * time.Hour, 19164}, // 7e6 / 365.25 = 19164.95…, floored
		{"one nanosecond", 100 * Credit, 1, 0},
		{"zero time", 100 * Credit, 0, 0},
		{"negative time", 100 * Credit, -time.Hour, 0},
		{"one µcredit for a year", 1, Year, 0},
		{"max value for ten years", 1_000_000_000 * Credit, 10 * Year, 700_000_000 * Credit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := held(ident(1), tc.value)
			if got := l.Accrued(t0.Add(tc.d)); got != tc.want {
				t.Fatalf("Accrued = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestTaxAccrualExact: settling at any number of random instants collects
// exactly floor(V·r·T/(10⁶·Year)) over the assessment, never more, never
// a µcredit less.
func TestTaxAccrualExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 300 {
		value := Micro(rng.Int64N(int64(10_000*Credit))) + 1
		rate := rng.Int64N(RateDenominator + 1)
		total := time.Duration(rng.Int64N(int64(3 * Year)))
		l := held(ident(1), value)
		l.RatePPM = rate
		cuts := make([]time.Duration, rng.IntN(20))
		for j := range cuts {
			cuts[j] = time.Duration(rng.Int64N(int64(total) + 1))
		}
		cuts = append(cuts, total)
		var paid Micro
		last := time.Duration(0)
		for _, c := range cuts {
			c = max(c, last) // settlements go forward
			last = c
			next, ps := l.Settle(t0.Add(c), MaxAmount)
			for _, p := range ps {
				if p.Kind != KindTax || p.From != ident(1) || p.To != PoolAccount {
					t.Fatalf("case %d: unexpected posting %+v", i, p)
				}
				paid += p.Amount
			}
			l = next
		}
		if want := exactTax(value, rate, total); paid != want {
			t.Fatalf("case %d: value %d rate %d over %v in %d settlements: paid %d, want %d", i, value, rate, total, len(cuts), paid, want)
		}
		if l.Due(t0.Add(total)) != 0 {
			t.Fatalf("case %d: tax still due after settling", i)
		}
	}
}

func TestSettleForecloses(t *testing.T) {
	l := held(ident(1), 100*Credit)
	now := t0.Add(Year)
	next, ps := l.Settle(now, 2*Credit) // owes 7
	if next.Held() || next.Value != 100*Credit || next.Seq != 2 || !next.Since.Equal(now) {
		t.Fatalf("after default: %+v", next)
	}
	if len(ps) != 2 || ps[0].Kind != KindTax || ps[0].Amount != 2*Credit || ps[1].Kind != KindForeclose {
		t.Fatalf("postings %+v", ps)
	}
	// The market pays no tax.
	if d := next.Due(now.Add(Year)); d != 0 {
		t.Fatalf("market-held license accrues %d", d)
	}
	// Settling backwards in time does nothing.
	if again, ps := held(ident(1), Credit).Settle(t0.Add(-time.Hour), 0); len(ps) != 0 || again.Seq != 1 {
		t.Fatalf("settle in the past: %+v %+v", again, ps)
	}
}

func TestBuyRules(t *testing.T) {
	bal := func(m map[string]Micro) func(string) Micro { return func(id string) Micro { return m[id] } }
	rich := bal(map[string]Micro{ident(1): 1000 * Credit, ident(2): 1000 * Credit})
	now := t0.Add(Year / 2)

	l := held(ident(1), 100*Credit)
	next, ps, err := l.Buy(ident(2), 100*Credit, 150*Credit, now, testRules, rich)
	if err != nil {
		t.Fatal(err)
	}
	if next.Holder != ident(2) || next.Value != 150*Credit || next.Paid != 0 || !next.Since.Equal(now) || next.Seq != 2 {
		t.Fatalf("after buy: %+v", next)
	}
	// Tax settled first (3.5 credits), then the price to the old holder.
	if len(ps) != 2 || ps[0].Kind != KindTax || ps[0].Amount != 3*Credit+Credit/2 ||
		ps[1].Kind != KindPurchase || ps[1].From != ident(2) || ps[1].To != ident(1) || ps[1].Amount != 100*Credit || ps[1].Value != 150*Credit {
		t.Fatalf("postings %+v", ps)
	}

	// From the market: the price goes to the pool, no tax.
	_, ps, err = held(MarketHolder, 100*Credit).Buy(ident(2), 100*Credit, 100*Credit, now, testRules, rich)
	if err != nil || len(ps) != 1 || ps[0].To != PoolAccount {
		t.Fatalf("buy from market: %v %+v", err, ps)
	}

	for _, tc := range []struct {
		name     string
		buyer    string
		expected Micro
		value    Micro
		balance  func(string) Micro
		want     error
	}{
		{"own license", ident(1), 100 * Credit, 100 * Credit, rich, ErrOwnLicense},
		{"stale price", ident(2), 99 * Credit, 100 * Credit, rich, ErrStalePrice},
		{"zero value", ident(2), 100 * Credit, 0, rich, ErrBadValue},
		{"negative value", ident(2), 100 * Credit, -5, rich, ErrBadValue},
		{"absurd value", ident(2), 100 * Credit, testRules.MaxValue + 1, rich, ErrBadValue},
		{"negative expected", ident(2), -1, Credit, rich, ErrBadValue},
		{"cannot pay", ident(3), 100 * Credit, Credit, rich, ErrInsufficientCredits},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ps, err := l.Buy(tc.buyer, tc.expected, tc.value, now, testRules, tc.balance)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != l || ps != nil {
				t.Fatalf("a failed buy changed the license or posted: %+v %+v", got, ps)
			}
		})
	}
}

func TestAssessRules(t *testing.T) {
	bal := func(id string) Micro { return map[string]Micro{ident(1): 10 * Credit}[id] }
	l := held(ident(1), 100*Credit)
	next, ps, err := l.Assess(ident(1), 50*Credit, t0.Add(Year/2), testRules, bal)
	if err != nil || next.Value != 50*Credit || next.Holder != ident(1) || len(ps) != 2 || ps[1].Kind != KindAssess {
		t.Fatalf("assess: %v %+v %+v", err, next, ps)
	}
	if _, _, err := l.Assess(ident(2), 50*Credit, t0, testRules, bal); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("assess by another: %v", err)
	}
	// A holder who cannot pay the tax due cannot re-assess.
	if _, _, err := l.Assess(ident(1), 50*Credit, t0.Add(2*Year), testRules, bal); !errors.Is(err, ErrInsufficientCredits) {
		t.Fatalf("assess while in default: %v", err)
	}
}
