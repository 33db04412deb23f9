package market

import "time"

// Usage is what a call consumed.
type Usage struct {
	// Elapsed is the call's wall time.
	Elapsed time.Duration
	// Tokens is the number of tokens the call processed, when reported
	// (0 otherwise).
	Tokens int64
}

// Cost is the price of a call:
//
//	CallPrice + floor(PricePerSecond · Elapsed / 1 s) + PricePerToken · Tokens
//
// in µcredits, saturating at MaxAmount.
func (c Config) Cost(u Usage) Micro {
	cost := max(c.CallPrice, 0)
	for _, part := range []Micro{
		mulDiv(int64(c.PricePerSecond), int64(u.Elapsed), int64(time.Second)),
		mulDiv(int64(c.PricePerToken), u.Tokens, 1),
	} {
		if part > MaxAmount-cost {
			return MaxAmount
		}
		cost += part
	}
	return cost
}
