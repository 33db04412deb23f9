package market

import (
	"errors"
	"testing"
	"time"
)

// TestSybil prices the Sybil attack of seed §9.1 (many fake identities)
// under the default rules: 6 licenses at 100 credits, 7 %/year, the
// dividend shared per holding identity.
//
//   - Funding fakes from one account is itself limited by the Gini rule:
//     the second 100-credit transfer from a 1,000-credit attacker is
//     refused (0.25 → 0.37).
//   - A fake identity without a license gets nothing: the license check
//     rejects its tasks and the dividend skips it.
//   - To count, each fake must hold a license: it pays the declared value
//     (100 credits, into the pool when bought from the market) and keeps
//     enough for the tax (7 credits a year) or loses the license. The
//     dividend returns N/(H+N) of the pool to N fakes among H honest
//     holders. Measured with H = 2, N = 4 over the first year: 400
//     credits paid, 28 tax, 294.67 back, a net 133.33 credits (33.33 per
//     identity), and no license left for a fifth identity.
//   - After that, while every holder declares the same value, the tax the
//     fakes pay comes back in the dividend; declaring less to pay less
//     invites a forced sale at that price. The lasting costs are the
//     scarcity of licenses and the forced sale, not the tax alone.
func TestSybil(t *testing.T) {
	const fakes = 4
	attacker := ident(1)
	fake := func(i int) string { return ident(10 + i) }

	// Funding fakes from one account, 100 credits at a time, soon raises
	// the Gini coefficient past 0.35 and is refused.
	clk := newClock()
	cfg := testConfig(clk)
	cfg.Grants = []Grant{{To: attacker, Amount: 1000 * Credit}, {To: ident(2), Amount: 1000 * Credit}}
	m := openMarket(t, openStore(t, t.TempDir()), cfg, newSystem(t))
	funded := 0
	for i := range fakes {
		if _, err := m.Transfer(attacker, fake(i), 100*Credit); err != nil {
			if !errors.Is(err, ErrGini) {
				t.Fatal(err)
			}
			t.Logf("funding fake %d refused: %v", i, err)
			break
		}
		funded++
	}
	if funded == fakes {
		t.Fatal("the Gini rule did not limit funding")
	}

	// The same attacker credits, already split among the fakes (as if
	// funded elsewhere): 520 credits plus 120 per fake (a license and its
	// tax: a fake that cannot pay the tax loses the license).
	clk = newClock()
	cfg = testConfig(clk)
	cfg.Grants = []Grant{{To: attacker, Amount: 520 * Credit}, {To: ident(2), Amount: 1000 * Credit}}
	for i := range fakes {
		cfg.Grants = append(cfg.Grants, Grant{To: fake(i), Amount: 120 * Credit})
	}
	m = openMarket(t, openStore(t, t.TempDir()), cfg, newSystem(t))
	st := m.Stage()
	if _, err := m.Buy(ident(2), "inference-1", 100*Credit, 100*Credit); err != nil {
		t.Fatal(err)
	}

	// Fakes with credits but no license: no tasks, no dividend.
	for i := range fakes {
		if r := st.Before(card("llm", testKey(10+i)), clk.Now()); r == nil || r.GetErrorCode() != CodeNoLicense {
			t.Fatalf("fake %d ran a task", i)
		}
	}
	if _, err := m.Charge(ident(0), Usage{Elapsed: 100 * time.Second}, "task:x"); err != nil { // something in the pool
		t.Fatal(err)
	}
	rep, err := m.Settle(clk.Advance(cfg.Epoch))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Holders != 2 {
		t.Fatalf("dividend went to %d identities, want the 2 holders", rep.Holders)
	}
	for i := range fakes {
		if b, _ := m.Balance(fake(i)); b != 120*Credit {
			t.Fatalf("unlicensed fake %d got a dividend: %s", i, b)
		}
	}

	// Fakes with licenses: each buys one from the market.
	credits := func() Micro {
		total := m.Ledger().Balance(attacker)
		for i := range fakes {
			total += m.Ledger().Balance(fake(i))
		}
		return total
	}
	start := credits()
	free := []string{"inference-2", "inference-3", "pattern-0", "federation-0"}
	for i := range fakes {
		if _, err := m.Buy(fake(i), free[i], 100*Credit, 100*Credit); err != nil {
			t.Fatalf("fake %d buying %s: %v", i, free[i], err)
		}
	}
	for _, l := range m.Licenses() { // no license is left for a fifth identity
		if !l.Held() {
			t.Fatalf("%s still free", l.ID)
		}
	}
	rep, err = m.Settle(clk.Advance(Year))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Holders != 2+fakes {
		t.Fatalf("dividend to %d identities", rep.Holders)
	}
	spent := start - credits()
	paid := Micro(fakes) * 100 * Credit
	tax := Micro(fakes) * accrue(100*Credit, cfg.TaxRatePPM, Year)
	t.Logf("first year, %d fake identities holding %d of 6 licenses: %s credits paid for licenses, %s tax, dividend back %s: net cost %s credits (%s per identity)",
		fakes, fakes, paid, tax, paid+tax-spent, spent, spent/fakes)
	// The dividend returns fakes/(2+fakes) of the pool, which holds the
	// purchases and every holder's tax (all declared at 100 credits).
	back := rep.Dividend / Micro(rep.Holders) * fakes
	if rep.Tax != Micro(2+fakes)*accrue(100*Credit, cfg.TaxRatePPM, Year) || spent != paid+tax-back {
		t.Fatalf("net cost %s, want %s (tax %s)", spent, paid+tax-back, rep.Tax)
	}
	if sumBalances(m.Ledger()) != m.Status().Supply {
		t.Fatal("not conserved")
	}
}
