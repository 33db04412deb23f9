package market

import (
	"errors"

	"github.com/bizra/bizra/messages/pci"
)

// Sentinel errors. Every error the package returns wraps one of them (or a
// pci or store error) with %w and a message naming the values involved.
var (
	// ErrConfig is wrapped by Config.Validate; the message names the field.
	ErrConfig = errors.New("market: invalid config")
	// ErrBadValue: an amount or declared value that is negative, zero where
	// a positive one is needed, outside [MinValue, MaxValue], or not a
	// whole number of µcredits.
	ErrBadValue = errors.New("market: bad value")
	// ErrBadIdentity: an account id that is not an "ed25519:…" key id (or
	// the market's own pool account where that is not allowed).
	ErrBadIdentity = errors.New("market: bad identity")
	// ErrUnknownLicense: no license has the id.
	ErrUnknownLicense = errors.New("market: unknown license")
	// ErrOwnLicense: the buyer already holds the license.
	ErrOwnLicense = errors.New("market: cannot buy one's own license")
	// ErrStalePrice: the license's declared value is not the price the
	// buyer expected (it changed before the buy landed).
	ErrStalePrice = errors.New("market: stale price")
	// ErrNotHolder: only the holder may re-assess a license.
	ErrNotHolder = errors.New("market: not the license holder")
	// ErrInsufficientCredits: the payer's balance does not cover the amount.
	ErrInsufficientCredits = errors.New("market: insufficient credits")
	// ErrGini: the transaction would raise the Gini coefficient above
	// Config.MaxGini; the message names the values before and after.
	ErrGini = errors.New("market: gini limit")
	// ErrSupply: an issuance would take the total supply past MaxSupply.
	ErrSupply = errors.New("market: supply limit")
	// ErrNoLicense: the requester holds no license of the kind a
	// capability needs (the license check stage).
	ErrNoLicense = errors.New("market: no license")
	// ErrBadRequest: a wire request that does not decode, names an unknown
	// verb, or was sent on the wrong subject or path.
	ErrBadRequest = errors.New("market: bad request")
	// ErrAudit: the ledger in the store does not verify (a broken hash
	// chain, a bad signature, or stored balances or licenses that differ
	// from those recomputed from the entries).
	ErrAudit = errors.New("market: ledger audit failed")
	// ErrStopped: the Market has been stopped.
	ErrStopped = errors.New("market: stopped")
	// ErrTimeout: a license actor did not answer within RequestTimeout.
	ErrTimeout = errors.New("market: license actor timed out")
)

// Wire error codes (TaskResult.error_code and Response.Error.Code). They
// never change meaning.
const (
	CodeNoLicense           = "E_MARKET_NO_LICENSE"
	CodeNoCredits           = "E_MARKET_NO_CREDITS"
	CodeBadValue            = "E_MARKET_BAD_VALUE"
	CodeBadIdentity         = "E_MARKET_BAD_IDENTITY"
	CodeUnknownLicense      = "E_MARKET_UNKNOWN_LICENSE"
	CodeOwnLicense          = "E_MARKET_OWN_LICENSE"
	CodeStalePrice          = "E_MARKET_STALE_PRICE"
	CodeNotHolder           = "E_MARKET_NOT_HOLDER"
	CodeInsufficientCredits = "E_MARKET_INSUFFICIENT_CREDITS"
	CodeGini                = "E_MARKET_GINI"
	CodeSupply              = "E_MARKET_SUPPLY"
	CodeBadRequest          = "E_MARKET_BAD_REQUEST"
	CodeUnavailable         = "E_MARKET_UNAVAILABLE"
	CodeInternal            = "E_MARKET_INTERNAL"
)

var codes = []struct {
	err  error
	code string
}{
	{ErrNoLicense, CodeNoLicense},
	{ErrBadValue, CodeBadValue},
	{ErrBadIdentity, CodeBadIdentity},
	{ErrUnknownLicense, CodeUnknownLicense},
	{ErrOwnLicense, CodeOwnLicense},
	{ErrStalePrice, CodeStalePrice},
	{ErrNotHolder, CodeNotHolder},
	{ErrInsufficientCredits, CodeInsufficientCredits},
	{ErrGini, CodeGini},
	{ErrSupply, CodeSupply},
	{ErrBadRequest, CodeBadRequest},
	{ErrStopped, CodeUnavailable},
	{ErrTimeout, CodeUnavailable},
}

// Code returns the wire code for err: one of the E_MARKET_… codes, a PCI
// reject code (R001…R005) for a rejected envelope, "" for nil, and
// CodeInternal for anything else.
func Code(err error) string {
	if err == nil {
		return ""
	}
	if c := pci.Code(err); c != "" {
		return c
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return CodeInternal
}
