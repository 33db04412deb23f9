package pci

import (
	"errors"
	"fmt"
)

// Reject codes, exactly as the blueprint (§4.6) lists them.
const (
	CodeTTLExpired          = "R001"
	CodeInvalidSignature    = "R002"
	CodeIhsanBelowThreshold = "R003"
	CodeSNRBelowThreshold   = "R004"
	CodeMalformedEnvelope   = "R005"
)

// Reject code names, paired with the codes above.
const (
	NameTTLExpired          = "TTL_EXPIRED"
	NameInvalidSignature    = "INVALID_SIGNATURE"
	NameIhsanBelowThreshold = "IHSAN_BELOW_THRESHOLD"
	NameSNRBelowThreshold   = "SNR_BELOW_THRESHOLD"
	NameMalformedEnvelope   = "MALFORMED_ENVELOPE"
)

// One sentinel per reject code. A *RejectError matches the sentinel of its
// code with errors.Is.
var (
	ErrTTLExpired          = errors.New("pci: R001 TTL_EXPIRED")
	ErrInvalidSignature    = errors.New("pci: R002 INVALID_SIGNATURE")
	ErrIhsanBelowThreshold = errors.New("pci: R003 IHSAN_BELOW_THRESHOLD")
	ErrSNRBelowThreshold   = errors.New("pci: R004 SNR_BELOW_THRESHOLD")
	ErrMalformedEnvelope   = errors.New("pci: R005 MALFORMED_ENVELOPE")
)

// Detail sentinels: a *RejectError also matches, with errors.Is, the
// detail that caused it, where one of these applies.
var (
	// ErrReplay: the (signer, nonce) pair was already accepted and the
	// earlier envelope has not expired yet. Code R001.
	ErrReplay = errors.New("pci: replayed envelope")
	// ErrFutureTimestamp: the timestamp is more than ClockSkew ahead of
	// the verifier's clock. Code R001.
	ErrFutureTimestamp = errors.New("pci: timestamp beyond clock skew")
	// ErrReplayCacheFull: the replay cache holds ReplayCacheSize live
	// entries, so freshness cannot be enforced for a new envelope; the
	// verifier fails closed. Code R001.
	ErrReplayCacheFull = errors.New("pci: replay cache full")
	// ErrUntrustedSigner: the signature is valid but the trust policy does
	// not allow the signer. Code R002.
	ErrUntrustedSigner = errors.New("pci: signer not allowed by trust policy")
)

// Errors returned by Seal, LoadOrCreateKey and Config.Validate (not reject
// errors: they concern the local caller, not a received envelope).
var (
	ErrInvalidKey    = errors.New("pci: invalid key")
	ErrInvalidInput  = errors.New("pci: invalid seal input")
	ErrInvalidConfig = errors.New("pci: invalid config")
	ErrKeyFileMode   = errors.New("pci: key file is readable by group or others")
)

var codeNames = map[string]string{
	CodeTTLExpired:          NameTTLExpired,
	CodeInvalidSignature:    NameInvalidSignature,
	CodeIhsanBelowThreshold: NameIhsanBelowThreshold,
	CodeSNRBelowThreshold:   NameSNRBelowThreshold,
	CodeMalformedEnvelope:   NameMalformedEnvelope,
}

var codeSentinels = map[string]error{
	CodeTTLExpired:          ErrTTLExpired,
	CodeInvalidSignature:    ErrInvalidSignature,
	CodeIhsanBelowThreshold: ErrIhsanBelowThreshold,
	CodeSNRBelowThreshold:   ErrSNRBelowThreshold,
	CodeMalformedEnvelope:   ErrMalformedEnvelope,
}

// RejectError is the error every rejected envelope gets. Code is one of
// R001..R005, Name its blueprint name, Reason a human-readable detail.
type RejectError struct {
	Code   string
	Name   string
	Reason string
	// detail is an optional detail sentinel (ErrReplay, ...).
	detail error
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("pci: %s %s: %s", e.Code, e.Name, e.Reason)
}

// Is reports whether target is the sentinel of e's code or e's detail
// sentinel.
func (e *RejectError) Is(target error) bool {
	if target == nil {
		return false
	}
	if s, ok := codeSentinels[e.Code]; ok && s == target {
		return true
	}
	return e.detail != nil && e.detail == target
}

// Unwrap returns the detail sentinel, if any.
func (e *RejectError) Unwrap() error { return e.detail }

func reject(code, reason string) *RejectError {
	return &RejectError{Code: code, Name: codeNames[code], Reason: reason}
}

func rejectf(code string, format string, args ...any) *RejectError {
	return reject(code, fmt.Sprintf(format, args...))
}

func rejectDetail(code string, detail error, reason string) *RejectError {
	e := reject(code, reason)
	e.detail = detail
	return e
}

// Code returns the reject code carried by err ("R001".."R005"), or "" when
// err is not a reject error.
func Code(err error) string {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}
