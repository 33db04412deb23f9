package market

import (
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"time"

	"github.com/bizra/bizra/messages/pci"
)

// Grant is a genesis issuance of Amount µcredits to an identity.
type Grant struct {
	To     string `yaml:"to" json:"to"`
	Amount Micro  `yaml:"amount" json:"amount"`
}

// LicenseSpec declares a license the market has. Licenses are created the
// first time the ledger opens with them in the config (held by the market,
// or by GenesisHolder when Genesis is set and the ledger is new); after
// that the ledger is the truth and the spec's Value is ignored.
type LicenseSpec struct {
	ID    string `yaml:"id" json:"id"`
	Kind  Kind   `yaml:"kind" json:"kind"`
	Value Micro  `yaml:"value" json:"value"`
	// Genesis gives the license to GenesisHolder when the ledger is
	// created.
	Genesis bool `yaml:"genesis" json:"genesis"`
}

// Config configures a Market. Start from DefaultConfig.
type Config struct {
	// GenesisHolder is the identity ("ed25519:…") that receives
	// GenesisGrant and the Genesis licenses when the ledger is created:
	// on a single node, the local client's key id. Required when either is
	// set.
	GenesisHolder string `yaml:"genesis_holder"`
	// GenesisGrant is issued to GenesisHolder when the ledger is created.
	GenesisGrant Micro `yaml:"genesis_grant"`
	// Grants are further genesis issuances.
	Grants []Grant `yaml:"grants"`
	// Licenses lists the market's licenses.
	Licenses []LicenseSpec `yaml:"licenses"`

	// Require maps a capability to the license kind its tasks need ("":
	// none).
	Require map[string]Kind `yaml:"require"`
	// RequireDefault is the kind needed by capabilities not in Require;
	// "" lets them run without a license.
	RequireDefault Kind `yaml:"require_default"`

	// TaxRatePPM is the Harberger tax rate in parts per million per Year
	// (70,000 = 7 %/year), in [0, 1,000,000].
	TaxRatePPM int64 `yaml:"tax_rate_ppm"`
	// MinValue and MaxValue bound a declared license value.
	MinValue Micro `yaml:"min_value"`
	MaxValue Micro `yaml:"max_value"`
	// MaxSupply bounds the credits ever issued.
	MaxSupply Micro `yaml:"max_supply"`
	// MaxGini: a transaction that would raise the Gini coefficient of the
	// wealth distribution above it is rejected. In (0, 1].
	MaxGini float64 `yaml:"max_gini"`
	// Epoch is the dividend period: at the end of each the pool is shared
	// equally among license holders.
	Epoch time.Duration `yaml:"epoch"`
	// EpochIssuance is issued into the pool at the end of each epoch
	// (before the dividend); 0 issues nothing after genesis.
	EpochIssuance Micro `yaml:"epoch_issuance"`
	// SettleInterval is how often the Market's timer settles every
	// license's tax and closes finished epochs; 0 disables the timer
	// (settlement then happens on each touch and on Settle calls).
	SettleInterval time.Duration `yaml:"settle_interval"`

	// CallPrice is charged for every call that needed a license and ran.
	CallPrice Micro `yaml:"call_price"`
	// PricePerSecond is charged per second of the call's elapsed time
	// (pro rata in nanoseconds, rounded down).
	PricePerSecond Micro `yaml:"price_per_second"`
	// PricePerToken is charged per token when a call reports its token
	// count (Usage.Tokens).
	PricePerToken Micro `yaml:"price_per_token"`

	// RequestTimeout bounds a wait for a license actor.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// PCI verifies signed requests (HandleSigned); its replay cache is the
	// Market's own.
	PCI pci.Config `yaml:"-"`
	// LedgerSigners lists former node key ids whose ledger entries the
	// audit accepts besides the current key's (after a key rotation).
	LedgerSigners []string `yaml:"ledger_signers"`
	// ActorName names the market's supervisor actor.
	ActorName string `yaml:"actor_name"`

	// Now is the clock (time.Now when nil).
	Now func() time.Time `yaml:"-"`
	// Logger receives the market's log lines (slog.Default when nil).
	Logger *slog.Logger `yaml:"-"`
}

// DefaultConfig returns the single-node defaults: 1,000 credits and the
// license inference-0 for GenesisHolder (which the caller must set);
// three more inference licenses and one pattern and one federation
// license held by the market at 100 credits; every capability needing an
// inference license; 7 %/year tax; Gini at most 0.35; hourly epochs;
// settlement every minute; 0.001 credit per call plus 0.01 credit per
// second.
func DefaultConfig() Config {
	lic := func(id string, k Kind, genesis bool) LicenseSpec {
		return LicenseSpec{ID: id, Kind: k, Value: 100 * Credit, Genesis: genesis}
	}
	pc := pci.DefaultConfig()
	// Market requests are short JSON documents; the payload SNR measure
	// needs a few hundred bytes to say anything.
	pc.MeasureSNR = false
	return Config{
		GenesisGrant: 1000 * Credit,
		Licenses: []LicenseSpec{
			lic("inference-0", KindInference, true),
			lic("inference-1", KindInference, false),
			lic("inference-2", KindInference, false),
			lic("inference-3", KindInference, false),
			lic("pattern-0", KindPattern, false),
			lic("federation-0", KindFederation, false),
		},
		Require:        map[string]Kind{},
		RequireDefault: KindInference,
		TaxRatePPM:     70_000,
		MinValue:       Credit / 1000,
		MaxValue:       1_000_000_000 * Credit,
		MaxSupply:      1_000_000_000_000 * Credit,
		MaxGini:        DefaultMaxGini,
		Epoch:          time.Hour,
		SettleInterval: time.Minute,
		CallPrice:      Credit / 1000,
		PricePerSecond: Credit / 100,
		RequestTimeout: 5 * time.Second,
		PCI:            pc,
		ActorName:      "market",
	}
}

var licenseIDRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Validate returns an error wrapping ErrConfig that names the first
// invalid field, or nil.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	if c.GenesisHolder != "" {
		if err := checkIdentity(c.GenesisHolder); err != nil {
			return bad("GenesisHolder: %v", err)
		}
	}
	needHolder := c.GenesisGrant > 0
	if c.GenesisGrant < 0 || c.GenesisGrant > c.MaxSupply {
		return bad("GenesisGrant %d must be in [0, MaxSupply]", c.GenesisGrant)
	}
	total := c.GenesisGrant
	for i, g := range c.Grants {
		if err := checkIdentity(g.To); err != nil {
			return bad("Grants[%d].To: %v", i, err)
		}
		if g.Amount <= 0 || g.Amount > c.MaxSupply {
			return bad("Grants[%d].Amount %d must be in (0, MaxSupply]", i, g.Amount)
		}
		total += g.Amount
	}
	if c.MaxSupply <= 0 || c.MaxSupply > MaxAmount {
		return bad("MaxSupply %d must be in (0, %d]", c.MaxSupply, MaxAmount)
	}
	if total > c.MaxSupply {
		return bad("GenesisGrant + Grants (%d) exceed MaxSupply %d", total, c.MaxSupply)
	}
	if c.MinValue <= 0 || c.MaxValue < c.MinValue || c.MaxValue > MaxAmount {
		return bad("MinValue %d and MaxValue %d must satisfy 0 < MinValue <= MaxValue <= %d", c.MinValue, c.MaxValue, MaxAmount)
	}
	seen := map[string]bool{}
	for i, l := range c.Licenses {
		switch {
		case !licenseIDRe.MatchString(l.ID):
			return bad("Licenses[%d].ID %q must match %s", i, l.ID, licenseIDRe)
		case seen[l.ID]:
			return bad("Licenses[%d].ID %q is listed twice", i, l.ID)
		case !l.Kind.Valid():
			return bad("Licenses[%d].Kind %q must be inference, pattern or federation", i, l.Kind)
		case l.Value < c.MinValue || l.Value > c.MaxValue:
			return bad("Licenses[%d].Value %d must be in [MinValue, MaxValue]", i, l.Value)
		}
		seen[l.ID] = true
		needHolder = needHolder || l.Genesis
	}
	if needHolder && c.GenesisHolder == "" {
		return bad("GenesisHolder must be set when GenesisGrant > 0 or a license has Genesis (single node: the local client's key id)")
	}
	for capability, k := range c.Require {
		if k != "" && !k.Valid() {
			return bad("Require[%q] %q must be empty (no license), inference, pattern or federation", capability, k)
		}
	}
	if c.RequireDefault != "" && !c.RequireDefault.Valid() {
		return bad("RequireDefault %q must be empty, inference, pattern or federation", c.RequireDefault)
	}
	switch {
	case c.TaxRatePPM < 0 || c.TaxRatePPM > RateDenominator:
		return bad("TaxRatePPM %d must be in [0, %d]", c.TaxRatePPM, RateDenominator)
	case math.IsNaN(c.MaxGini) || c.MaxGini <= 0 || c.MaxGini > 1:
		return bad("MaxGini %v must be in (0, 1]", c.MaxGini)
	case c.Epoch < time.Second:
		return bad("Epoch %v must be >= 1s", c.Epoch)
	case c.EpochIssuance < 0 || c.EpochIssuance > c.MaxSupply:
		return bad("EpochIssuance %d must be in [0, MaxSupply]", c.EpochIssuance)
	case c.SettleInterval < 0:
		return bad("SettleInterval %v must be >= 0", c.SettleInterval)
	case c.CallPrice < 0 || c.CallPrice > c.MaxValue:
		return bad("CallPrice %d must be in [0, MaxValue]", c.CallPrice)
	case c.PricePerSecond < 0 || c.PricePerSecond > c.MaxValue:
		return bad("PricePerSecond %d must be in [0, MaxValue]", c.PricePerSecond)
	case c.PricePerToken < 0 || c.PricePerToken > c.MaxValue:
		return bad("PricePerToken %d must be in [0, MaxValue]", c.PricePerToken)
	case c.RequestTimeout <= 0:
		return bad("RequestTimeout %v must be > 0", c.RequestTimeout)
	case c.ActorName == "":
		return bad("ActorName must not be empty")
	}
	for i, s := range c.LedgerSigners {
		if _, err := pci.ParsePublicKeyID(s); err != nil {
			return bad("LedgerSigners[%d]: %v", i, err)
		}
	}
	if err := c.PCI.Validate(); err != nil {
		return bad("PCI: %v", err)
	}
	return nil
}

// rules returns the license core's limits.
func (c Config) rules() Rules {
	return Rules{RatePPM: c.TaxRatePPM, MinValue: c.MinValue, MaxValue: c.MaxValue}
}

// Required returns the license kind a capability needs, or "" for none.
func (c Config) Required(capability string) Kind {
	if k, ok := c.Require[capability]; ok {
		return k
	}
	return c.RequireDefault
}

// checkIdentity accepts an "ed25519:…" key id.
func checkIdentity(id string) error {
	if _, err := pci.ParsePublicKeyID(id); err != nil {
		return fmt.Errorf("%w: %q is not an ed25519 key id", ErrBadIdentity, id)
	}
	return nil
}
