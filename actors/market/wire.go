package market

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/proto"
)

// PayloadRequest is the PCI payload type of a market request: the
// payload is a Request encoded as JSON.
const PayloadRequest = "bizra.market.v1.Request"

// Verbs. Status, licenses and balance only read; assess, buy and transfer
// change the ledger and must arrive signed.
const (
	VerbStatus   = "status"
	VerbLicenses = "licenses"
	VerbBalance  = "balance"
	VerbAssess   = "assess"
	VerbBuy      = "buy"
	VerbTransfer = "transfer"
)

// Verbs lists every verb (each is a NATS subject bizra.market.<verb> and
// an HTTP path /v1/market/<verb>).
var Verbs = []string{VerbStatus, VerbLicenses, VerbBalance, VerbAssess, VerbBuy, VerbTransfer}

// ReadOnly reports whether a verb only reads (and may come unsigned).
func ReadOnly(verb string) bool {
	return verb == VerbStatus || verb == VerbLicenses || verb == VerbBalance
}

// Request is a market request. Amounts are µcredits (JSON integers). The
// requester is the envelope's signer, never a field.
//
//	{"verb":"status"}
//	{"verb":"licenses"}
//	{"verb":"balance","account":"ed25519:…"}        (account defaults to the signer)
//	{"verb":"assess","license":"inference-1","value":120000000}
//	{"verb":"buy","license":"inference-1","expected_price":100000000,"value":120000000}
//	{"verb":"transfer","account":"ed25519:…","amount":5000000}
type Request struct {
	Verb          string `json:"verb"`
	License       string `json:"license,omitempty"`
	Account       string `json:"account,omitempty"`
	Value         Micro  `json:"value,omitempty"`
	ExpectedPrice Micro  `json:"expected_price,omitempty"`
	Amount        Micro  `json:"amount,omitempty"`
}

// WireError is an error in a Response.
type WireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Response answers a Request (as JSON).
type Response struct {
	Verb      string        `json:"verb"`
	OK        bool          `json:"ok"`
	Requester string        `json:"requester,omitempty"`
	Error     *WireError    `json:"error,omitempty"`
	Status    *Status       `json:"status,omitempty"`
	Licenses  []LicenseInfo `json:"licenses,omitempty"`
	Balance   *BalanceInfo  `json:"balance,omitempty"`
	// Receipt holds the signed ledger entries a change produced.
	Receipt *Receipt `json:"receipt,omitempty"`
}

// BalanceInfo is an account's balance and the licenses it holds.
type BalanceInfo struct {
	Account  string   `json:"account"`
	Balance  Micro    `json:"balance"`
	Licenses []string `json:"licenses,omitempty"`
}

// SealRequest encodes req as JSON and seals it in a PCI envelope signed by
// key (agent type USER, ihsan 1, SNR measured, ttl), returning the
// envelope's protobuf bytes: what HandleSigned, the HTTP POST endpoints
// and the NATS subjects take. Each call uses a fresh nonce.
func SealRequest(key ed25519.PrivateKey, req Request, ttl time.Duration, now time.Time) ([]byte, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("market: encoding request: %w", err)
	}
	env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_USER, PayloadRequest, payload, 1, 1, ttl, now, nil)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(env)
}

// HandleSigned verifies a PCI envelope carrying a Request (pci rules:
// R001–R005, replays rejected through the market's replay cache), runs it
// as the envelope's signer and returns the Response as JSON. The error is
// the request's failure (also described in the Response, with its code);
// a replayed envelope fails with an error matching pci.ErrReplay and does
// not touch the ledger.
func (m *Market) HandleSigned(data []byte) ([]byte, error) {
	resp, err := m.handleSigned(data, "")
	return encodeResponse(resp), err
}

// handleSigned is HandleSigned, requiring the verb when verb is not "".
func (m *Market) handleSigned(data []byte, verb string) (Response, error) {
	env, err := m.verifier.Open(data, m.cfg.Now())
	if err == nil && env.GetPayloadType() != PayloadRequest {
		err = fmt.Errorf("%w: payload type %q, want %s", ErrBadRequest, env.GetPayloadType(), PayloadRequest)
	}
	if err != nil {
		return failed(verb, "", err), err
	}
	req, err := DecodeRequest(env.GetPayload())
	if err == nil && verb != "" && req.Verb != verb {
		err = fmt.Errorf("%w: verb %q sent to the %q endpoint", ErrBadRequest, req.Verb, verb)
	}
	who := pci.PublicKeyID(env.GetSignerPublicKey())
	if err != nil {
		return failed(req.Verb, who, err), err
	}
	return m.Handle(who, req)
}

// DecodeRequest decodes a JSON Request strictly (unknown fields and
// trailing data are errors wrapping ErrBadRequest).
func DecodeRequest(data []byte) (Request, error) {
	var req Request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, fmt.Errorf("%w: trailing data after the request", ErrBadRequest)
	}
	return req, nil
}

// Handle runs req for requester ("" for an unsigned request, which may
// only read) and returns the Response and the request's error.
func (m *Market) Handle(requester string, req Request) (Response, error) {
	if requester == "" && !ReadOnly(req.Verb) {
		err := fmt.Errorf("%w: %q changes the ledger and must be a signed PCI envelope", ErrBadRequest, req.Verb)
		return failed(req.Verb, "", err), err
	}
	resp := Response{Verb: req.Verb, Requester: requester}
	var (
		rec Receipt
		err error
	)
	switch req.Verb {
	case VerbStatus:
		if m.stopped.Load() {
			err = ErrStopped
			break
		}
		st := m.Status()
		resp.Status = &st
	case VerbLicenses:
		if m.stopped.Load() {
			err = ErrStopped
			break
		}
		resp.Licenses = m.Licenses()
	case VerbBalance:
		account := req.Account
		if account == "" {
			account = requester
		}
		var bal Micro
		if bal, err = m.Balance(account); err == nil {
			resp.Balance = &BalanceInfo{Account: account, Balance: bal}
			for _, l := range m.led.Licenses() {
				if l.Holder == account {
					resp.Balance.Licenses = append(resp.Balance.Licenses, l.ID)
				}
			}
		}
	case VerbAssess:
		rec, err = m.Assess(requester, req.License, req.Value)
		resp.Receipt = &rec
	case VerbBuy:
		rec, err = m.Buy(requester, req.License, req.ExpectedPrice, req.Value)
		resp.Receipt = &rec
	case VerbTransfer:
		rec, err = m.Transfer(requester, req.Account, req.Amount)
		resp.Receipt = &rec
	default:
		err = fmt.Errorf("%w: unknown verb %q (want one of %v)", ErrBadRequest, req.Verb, Verbs)
	}
	if err != nil {
		return failed(req.Verb, requester, err), err
	}
	resp.OK = true
	return resp, nil
}

func failed(verb, requester string, err error) Response {
	return Response{Verb: verb, Requester: requester, Error: &WireError{Code: Code(err), Message: err.Error()}}
}

func encodeResponse(r Response) []byte {
	data, err := json.Marshal(r)
	if err != nil {
		data, _ = json.Marshal(failed(r.Verb, r.Requester, err))
	}
	return data
}
