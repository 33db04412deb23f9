package market

import (
	"fmt"
	"time"
)

// The issuance rule: credits come into existence only here, each time as
// a KindIssue entry naming the rule in its Ref.
//
//   - "genesis": when the ledger is created, Config.GenesisGrant to
//     Config.GenesisHolder and each of Config.Grants.
//   - "epoch:<n>": at the close of epochs, Config.EpochIssuance per epoch
//     closed, into the pool (from which the dividend shares it), never
//     past Config.MaxSupply (the last issuance is cut to fit, then none).
//
// The total supply is therefore GenesisGrant + Σ Grants + (epochs closed
// × EpochIssuance, capped): nothing else, in particular no bug in a
// license or a charge, can create or destroy a credit, since every other
// posting moves an amount from one account to another.

// genesisTx creates the ledger's genesis: the grants and the licenses of
// cfg (Genesis ones held by GenesisHolder).
func genesisTx(cfg Config, now time.Time) Tx {
	var tx Tx
	if cfg.GenesisGrant > 0 {
		tx.Postings = append(tx.Postings, Posting{Kind: KindIssue, To: cfg.GenesisHolder, Amount: cfg.GenesisGrant, Ref: "genesis"})
	}
	for _, g := range cfg.Grants {
		tx.Postings = append(tx.Postings, Posting{Kind: KindIssue, To: g.To, Amount: g.Amount, Ref: "genesis"})
	}
	for _, s := range cfg.Licenses {
		holder := MarketHolder
		if s.Genesis {
			holder = cfg.GenesisHolder
		}
		tx = addLicense(tx, cfg, s, holder, now)
	}
	return tx
}

// newLicensesTx creates the licenses of cfg that the ledger lacks, held by
// the market.
func newLicensesTx(cfg Config, v View, now time.Time) Tx {
	var tx Tx
	for _, s := range cfg.Licenses {
		if _, ok := v.License(s.ID); !ok {
			tx = addLicense(tx, cfg, s, MarketHolder, now)
		}
	}
	return tx
}

func addLicense(tx Tx, cfg Config, s LicenseSpec, holder string, now time.Time) Tx {
	lic := License{ID: s.ID, Kind: s.Kind, Holder: holder, Value: s.Value, RatePPM: cfg.TaxRatePPM,
		Since: now.UTC(), Settled: now.UTC(), Seq: 1}
	tx.Postings = append(tx.Postings, Posting{Kind: KindLicense, To: holder, Ref: s.ID, Value: s.Value})
	tx.Licenses = append(tx.Licenses, lic)
	return tx
}

// epochTx closes the epochs finished at now: the epoch issuance into the
// pool, then the dividend. It returns an empty Tx when no epoch ended.
func epochTx(cfg Config, v View, now time.Time) Tx {
	closed, genesis := v.Epoch()
	if genesis.IsZero() || now.Before(genesis) {
		return Tx{}
	}
	ended := uint64(now.Sub(genesis) / cfg.Epoch)
	if ended <= closed {
		return Tx{}
	}
	k := ended - closed
	var tx Tx
	tx.Epochs = k
	ref := fmt.Sprintf("epoch:%d", ended)
	pool := v.Balance(PoolAccount)
	if cfg.EpochIssuance > 0 {
		room := max(cfg.MaxSupply-v.Issued(), 0)
		amount := room
		if k <= uint64(room/cfg.EpochIssuance) {
			amount = cfg.EpochIssuance * Micro(k)
		}
		if amount > 0 {
			tx.Postings = append(tx.Postings, Posting{Kind: KindIssue, To: PoolAccount, Amount: amount, Ref: ref})
			pool += amount
		}
	}
	tx.Postings = append(tx.Postings, Dividend(pool, v.Holders(), ref)...)
	return tx
}
