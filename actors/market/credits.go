package market

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Micro is an amount of compute credits in micro-credits, the ledger's
// only unit: 1 credit = 1,000,000 µcredits. Every balance, price, value,
// tax and charge is a whole number of µcredits; no fraction of one is ever
// stored or moved.
type Micro int64

// Credit is one credit in µcredits.
const Credit Micro = 1_000_000

// Year is the tax year: 365.25 days (the Julian year), so a tax rate per
// year means the same thing in every calendar year.
const Year = 365*24*time.Hour + 6*time.Hour

// RateDenominator is the denominator of tax rates: a rate is given in
// parts per million per Year (70,000 = 7 %/year).
const RateDenominator = 1_000_000

// String renders m in credits with six decimals ("12.500000").
func (m Micro) String() string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-m)
	}
	return fmt.Sprintf("%s%d.%06d", sign, u/uint64(Credit), u%uint64(Credit))
}

// Credits returns m in credits as a float (for metrics and display only).
func (m Micro) Credits() float64 { return float64(m) / float64(Credit) }

// ParseCredits parses an amount of credits written as a decimal number
// with at most six fractional digits ("12", "12.5", "0.000001"). More
// digits, signs, exponents or values beyond the int64 range are errors
// wrapping ErrBadValue: amounts are never rounded on input.
func ParseCredits(s string) (Micro, error) {
	whole, frac, dot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && (!dot || frac == "") {
		return 0, fmt.Errorf("%w: %q is not an amount of credits", ErrBadValue, s)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("%w: %q has more than 6 decimals (1 µcredit = 0.000001)", ErrBadValue, s)
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, fmt.Errorf("%w: %q is not an amount of credits", ErrBadValue, s)
			}
		}
	}
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > int64(MaxAmount/Credit) {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadValue, s)
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	}
	return Micro(w)*Credit + Micro(f), nil
}

// MaxAmount bounds every amount the ledger accepts (about 4.6e12
// credits): sums of amounts below it cannot overflow int64.
const MaxAmount Micro = 1 << 62

// accrue returns floor(value · ratePPM · d / (RateDenominator · Year)) in
// exact integer arithmetic, 0 for d <= 0.
func accrue(value Micro, ratePPM int64, d time.Duration) Micro {
	if d <= 0 || value <= 0 || ratePPM <= 0 {
		return 0
	}
	n := new(big.Int).SetInt64(int64(value))
	n.Mul(n, big.NewInt(ratePPM))
	n.Mul(n, big.NewInt(int64(d)))
	den := new(big.Int).Mul(big.NewInt(RateDenominator), big.NewInt(int64(Year)))
	n.Quo(n, den)
	if !n.IsInt64() {
		return MaxAmount
	}
	return Micro(n.Int64())
}

// mulDiv returns floor(a · b / c) for non-negative a, b and positive c,
// saturating at MaxAmount.
func mulDiv(a, b, c int64) Micro {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	n.Quo(n, big.NewInt(c))
	if !n.IsInt64() || n.Int64() > int64(MaxAmount) {
		return MaxAmount
	}
	return Micro(n.Int64())
}
