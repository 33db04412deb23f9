package inference

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bizra/bizra/actors/gate"
	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/encoding/protojson"
)

// PayloadInferenceResult is the payload type of result envelopes; the
// payload is SealedResult as JSON.
const PayloadInferenceResult = "bizra.v1.InferenceResult"

// Governor is the governance seam of the inference path (seed §3.1 steps
// 1, 7, 8, 9): Admit runs before anything is spent and may refuse the
// request (an error wrapping ErrBlocked); Seal runs on the finished
// result and returns its proof (signed envelope, session proof). The
// runtime plugs in the node's gate, key and durable sessions;
// NewGovernor is a self-contained implementation.
type Governor interface {
	Admit(ctx context.Context, req *Request) (Admission, error)
	Seal(ctx context.Context, req *Request, res *Result) (Proof, error)
}

// Admission is the governor's verdict on a request.
type Admission struct {
	Verdict   string  `json:"verdict"` // "ALLOW" or "BLOCK"
	Score     float64 `json:"score"`   // the gate's composite: the ihsan of the result envelope
	Threshold float64 `json:"threshold,omitempty"`
	Rule      string  `json:"rule,omitempty"`
	Reason    string  `json:"reason,omitempty"`
}

// Proof is what the governor attaches to a result.
type Proof struct {
	PayloadType string  `json:"payload_type"`
	Signer      string  `json:"signer,omitempty"` // ed25519:<base64url>
	Ihsan       float64 `json:"ihsan"`
	SNR         float64 `json:"snr"`
	// Envelope is the PCI envelope (messages.Envelope as protojson, bytes
	// in base64) whose payload is Result.SealedPayload().
	Envelope json.RawMessage `json:"envelope,omitempty"`
	// Session is the session DAG's lineage proof (session.Proof JSON) of
	// active → computing → validated → committed for this request.
	Session json.RawMessage `json:"session_proof,omitempty"`
}

// Governance is the block every result carries.
type Governance struct {
	Admission Admission `json:"admission"`
	Proof
}

// GovernorConfig configures NewGovernor.
type GovernorConfig struct {
	// Gate scores prompts (tool Task); nil means gate.New(gate.DefaultConfig()).
	Gate *gate.Gate
	// Key signs result envelopes; nil means a fresh key (results then
	// verify, but not against a known node identity).
	Key ed25519.PrivateKey
	// TTL is the envelopes' lifetime; 0 means 5 minutes.
	TTL time.Duration
	// SessionProofs records each request in an in-memory session DAG and
	// returns its lineage proof.
	SessionProofs bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultGovernor gates prompts with the FATE gate and seals results in
// PCI envelopes (agent type MODEL, ihsan = the gate's score of the
// prompt, snr = pci.SNR of the payload) signed with its key.
type DefaultGovernor struct {
	gate     *gate.Gate
	key      ed25519.PrivateKey
	ttl      time.Duration
	sessions bool
	now      func() time.Time
}

// NewGovernor returns the default governor.
func NewGovernor(cfg GovernorConfig) (*DefaultGovernor, error) {
	g := &DefaultGovernor{gate: cfg.Gate, key: cfg.Key, ttl: cfg.TTL, sessions: cfg.SessionProofs, now: cfg.Now}
	if g.gate == nil {
		gt, err := gate.New(gate.DefaultConfig())
		if err != nil {
			return nil, err
		}
		g.gate = gt
	}
	if g.key == nil {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		g.key = k
	}
	if g.ttl == 0 {
		g.ttl = 5 * time.Minute
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

// PublicKey is the key result envelopes are signed with.
func (g *DefaultGovernor) PublicKey() ed25519.PublicKey { return g.key.Public().(ed25519.PublicKey) }

// Admit implements Governor: the prompt is checked by the gate as tool
// Task (secrets in the input; requester and session for accountability).
func (g *DefaultGovernor) Admit(_ context.Context, req *Request) (Admission, error) {
	d := g.gate.Check(gate.Request{Tool: gate.ToolTask, Input: gate.Input{Content: req.PromptText()},
		Context: gate.RequestContext{Requester: req.Agent, SessionID: req.Session}}, g.now())
	a := Admission{Verdict: string(d.Verdict), Score: d.Score, Threshold: d.Threshold, Rule: d.Rule, Reason: d.Reason}
	if !d.Allowed() {
		return a, fmt.Errorf("%w: %s", ErrBlocked, d.Reason)
	}
	return a, nil
}

var envelopeJSON = protojson.MarshalOptions{UseProtoNames: true}

// Seal implements Governor.
func (g *DefaultGovernor) Seal(_ context.Context, req *Request, res *Result) (Proof, error) {
	now := g.now()
	payload, err := res.SealedPayload()
	if err != nil {
		return Proof{}, err
	}
	ihsan := 1.0
	if res.Governance != nil {
		ihsan = res.Governance.Admission.Score
	}
	snr := pci.SNR(payload)
	env, err := pci.Seal(g.key, messages.AgentType_AGENT_TYPE_MODEL, PayloadInferenceResult, payload, ihsan, snr, g.ttl, now, nil)
	if err != nil {
		return Proof{}, err
	}
	ej, err := envelopeJSON.Marshal(env)
	if err != nil {
		return Proof{}, err
	}
	p := Proof{PayloadType: PayloadInferenceResult, Signer: pci.PublicKeyID(g.PublicKey()), Ihsan: ihsan, SNR: snr, Envelope: ej}
	if g.sessions {
		if p.Session, err = sessionProof(req, res, payload, now); err != nil {
			return Proof{}, err
		}
	}
	return p, nil
}

// sessionProof walks a fresh in-memory session through the inference
// path's transitions and returns its lineage proof.
func sessionProof(req *Request, res *Result, payload []byte, now time.Time) (json.RawMessage, error) {
	id := req.Session
	if id == "" {
		id = res.ID
	}
	s, err := session.Create(id, session.NewMemStore(), now)
	if err != nil {
		return nil, err
	}
	steps := []func(session.Hash, time.Time) (session.Hash, error){s.Begin, s.StartCompute, s.Validate, s.Commit}
	hashes := []session.Hash{session.HashPayload([]byte(req.PromptText())), session.HashPayload([]byte(res.Backend + "/" + res.Model)),
		session.HashPayload(payload), session.HashPayload(payload)}
	for i, step := range steps {
		if _, err := step(hashes[i], now); err != nil {
			return nil, err
		}
	}
	return s.Proof().MarshalJSON()
}
