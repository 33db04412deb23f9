package market

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestConservation runs seeded random sequences of every operation (valid
// and invalid: buys at right and stale prices, assessments by holders and
// others, transfers, charges, settlements across epochs with issuance,
// foreclosures of holders who run dry) and checks after each one that the
// balances sum to exactly the credits issued, none is negative, and the
// credits issued are exactly the genesis grants plus the issue entries. At
// the end the ledger is re-audited from the store.
func TestConservation(t *testing.T) {
	const (
		seeds = 6
		ops   = 250
		ids   = 6
	)
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			clk := newClock()
			cfg := testConfig(clk)
			cfg.GenesisGrant = 50 * Credit
			for i := 1; i < ids; i++ {
				cfg.Grants = append(cfg.Grants, Grant{To: ident(i), Amount: Micro(rng.Int64N(int64(300*Credit))) + Credit})
			}
			cfg.EpochIssuance = Micro(rng.Int64N(int64(10 * Credit)))
			cfg.TaxRatePPM = 500_000 // 50 %/year: foreclosures happen
			if seed%2 == 1 {
				cfg.MaxGini = 1 // let more transactions through
			}
			s := openStore(t, t.TempDir())
			m := openMarket(t, s, cfg, newSystem(t))
			licenses := m.Licenses()
			who := func() string { return ident(rng.IntN(ids + 1)) } // ident(ids) has no account
			value := func() Micro {
				switch rng.IntN(10) {
				case 0:
					return -Micro(rng.Int64N(100))
				case 1:
					return cfg.MaxValue + 1
				}
				return Micro(rng.Int64N(int64(200*Credit))) + 1
			}
			counts := map[string]int{}
			for i := range ops {
				var (
					name string
					err  error
				)
				lic := licenses[rng.IntN(len(licenses))].ID
				switch rng.IntN(6) {
				case 0, 1:
					name = "buy"
					cur, _ := m.Ledger().License(lic)
					price := cur.Value
					if rng.IntN(4) == 0 {
						price += Micro(rng.Int64N(3)) - 1 // sometimes stale
					}
					_, err = m.Buy(who(), lic, price, value())
				case 2:
					name = "assess"
					cur, _ := m.Ledger().License(lic)
					holder := cur.Holder
					if holder == "" || rng.IntN(4) == 0 {
						holder = who()
					}
					_, err = m.Assess(holder, lic, value())
				case 3:
					name = "transfer"
					_, err = m.Transfer(who(), who(), value())
				case 4:
					name = "charge"
					_, err = m.Charge(who(), Usage{Elapsed: time.Duration(rng.Int64N(int64(time.Hour))), Tokens: rng.Int64N(1000)}, fmt.Sprint("task:", i))
				case 5:
					name = "settle"
					_, err = m.Settle(clk.Advance(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))))
				}
				if err == nil {
					counts[name]++
				} else {
					counts[name+" rejected"]++
				}
				clk.Advance(time.Duration(rng.Int64N(int64(time.Hour))))
				st := m.Status()
				if sum := sumBalances(m.Ledger()); sum != st.Supply {
					t.Fatalf("op %d (%s, %v): balances sum to %s, supply %s", i, name, err, sum, st.Supply)
				}
				for id, b := range m.Ledger().Balances() {
					if b < 0 {
						t.Fatalf("op %d: %s has %s", i, id, b)
					}
				}
			}
			entries, err := m.Ledger().Entries(1, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			var issued Micro
			kinds := map[EntryKind]int{}
			for _, e := range entries {
				kinds[e.Kind]++
				if e.Kind == KindIssue {
					issued += e.Amount
				}
			}
			genesis := cfg.GenesisGrant
			for _, g := range cfg.Grants {
				genesis += g.Amount
			}
			st := m.Status()
			epochIssue := issued - genesis
			if issued != st.Supply || epochIssue != Micro(st.Epoch)*cfg.EpochIssuance {
				t.Fatalf("issue entries %s, supply %s, %d epochs × %s", issued, st.Supply, st.Epoch, cfg.EpochIssuance)
			}
			// An independent audit of the stored ledger recomputes the same.
			c, err := s.NewCommitter()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			l2, err := OpenLedger(s, c, LedgerConfig{Key: nodeKey, MaxGini: cfg.MaxGini, MaxSupply: cfg.MaxSupply})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(l2.Balances()) != fmt.Sprint(m.Ledger().Balances()) {
				t.Fatal("audit recomputed different balances")
			}
			t.Logf("%d entries %v, %d epochs, supply %s, gini %.3f; operations %v", st.Entries, kinds, st.Epoch, st.Supply, st.Gini, counts)
		})
	}
}
