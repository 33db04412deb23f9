package market

// Dividend is the redistribution rule: at the close of an epoch the pool
// (the tax collected, call charges and the epoch's issuance) is shared
// equally among the identities that hold at least one license, one share
// per identity however many licenses it holds:
//
//	share = floor(pool / len(holders))
//
// The remainder (fewer than len(holders) µcredits) stays in the pool for
// the next epoch. With no holder, nothing is paid.
//
// Effect on concentration: tax is proportional to declared value, the
// dividend is the same for every holder, so each epoch moves credits from
// holders of valuable licenses to holders of cheap ones. A holder with
// declared value v out of a total V among h holders pays a fraction v/V
// of the tax and gets 1/h of it back: it gains exactly when v < V/h (its
// licenses are worth less than the average holder's). The transfer shrinks
// the differences between holders and so lowers the Gini coefficient; it
// never pays an identity for holding more licenses or for splitting into
// more identities without each of them holding (and paying tax on) a
// license.
func Dividend(pool Micro, holders []string, ref string) []Posting {
	if pool <= 0 || len(holders) == 0 {
		return nil
	}
	share := pool / Micro(len(holders))
	if share == 0 {
		return nil
	}
	ps := make([]Posting, 0, len(holders))
	for _, h := range holders {
		ps = append(ps, Posting{Kind: KindDividend, From: PoolAccount, To: h, Amount: share, Ref: ref})
	}
	return ps
}
