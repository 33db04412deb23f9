package ingress

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/bizra/bizra/actors/gate"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/proto"
)

// HeaderEnvelope marks a NATS message whose data is a PCI Envelope (value
// "v1") rather than a bare protobuf message. A node answers an enveloped
// request with an envelope signed by its own key.
const HeaderEnvelope = "Bizra-Envelope"

// Payload types carried in envelopes.
const (
	PayloadTaskCard   = "bizra.v1.TaskCard"
	PayloadTaskResult = "bizra.v1.TaskResult"
)

// Governance opens enveloped TaskCards and seals TaskResults.
type Governance struct {
	// Verifier checks incoming envelopes (R001–R005, replay, trust policy).
	Verifier *pci.Verifier
	// Key is the node's identity key; results are signed with it.
	Key ed25519.PrivateKey
	// Gate scores requests; the composite is the ihsan of the result envelope.
	Gate *gate.Gate
	// ResultTTL is the lifetime of result envelopes.
	ResultTTL time.Duration
	// RequireEnvelope rejects bare (unsigned) TaskCards with R005.
	RequireEnvelope bool
}

// OpenCard verifies an enveloped TaskCard. The card's requester becomes the
// envelope's signer. A failure is a REJECTED result carrying the reject
// code (R001…R005).
func (g *Governance) OpenCard(data []byte, subjectCapability string, maxPayload int, nodeID string, now time.Time) (*messages.TaskCard, *messages.TaskResult) {
	env, err := g.Verifier.Open(data, now)
	if err != nil {
		return nil, rejectEnvelope(nodeID, err)
	}
	return cardFrom(env, subjectCapability, maxPayload, nodeID)
}

// OpenCards opens many enveloped TaskCards at once, as OpenCard does one by
// one (same answers, in order), checking their signatures together with
// Ed25519 batch verification (pci.Verifier.VerifyBatch).
func (g *Governance) OpenCards(data [][]byte, subjectCapabilities []string, maxPayload int, nodeID string, now time.Time) ([]*messages.TaskCard, []*messages.TaskResult) {
	cards, rejects := make([]*messages.TaskCard, len(data)), make([]*messages.TaskResult, len(data))
	envs, idx := make([]*messages.Envelope, 0, len(data)), make([]int, 0, len(data))
	for i, d := range data {
		env := new(messages.Envelope)
		if err := proto.Unmarshal(d, env); err != nil {
			rejects[i] = rejectEnvelope(nodeID, &pci.RejectError{Code: "R005", Name: "MALFORMED_ENVELOPE", Reason: fmt.Sprintf("decoding envelope: %v", err)})
			continue
		}
		envs, idx = append(envs, env), append(idx, i)
	}
	for j, err := range g.Verifier.VerifyBatch(envs, now) {
		i := idx[j]
		if err != nil {
			rejects[i] = rejectEnvelope(nodeID, err)
			continue
		}
		cards[i], rejects[i] = cardFrom(envs[j], subjectCapabilities[i], maxPayload, nodeID)
	}
	return cards, rejects
}

// cardFrom reads the TaskCard of a verified envelope; its requester becomes
// the envelope's signer.
func cardFrom(env *messages.Envelope, subjectCapability string, maxPayload int, nodeID string) (*messages.TaskCard, *messages.TaskResult) {
	if env.GetPayloadType() != PayloadTaskCard {
		return nil, rejectEnvelope(nodeID, &pci.RejectError{Code: "R005", Name: "MALFORMED_ENVELOPE",
			Reason: fmt.Sprintf("payload type %q, want %s", env.GetPayloadType(), PayloadTaskCard)})
	}
	card, reject := DecodeTaskCard(env.GetPayload(), subjectCapability, maxPayload, nodeID)
	if reject != nil {
		return nil, reject
	}
	card.Requester = &messages.Identity{
		Name:      pci.PublicKeyID(env.GetSignerPublicKey()),
		PublicKey: env.GetSignerPublicKey(),
		Type:      env.GetAgentType(),
	}
	return card, nil
}

// RejectUnsigned answers a bare TaskCard when envelopes are required.
func (g *Governance) RejectUnsigned(nodeID string) *messages.TaskResult {
	return rejectEnvelope(nodeID, &pci.RejectError{Code: "R005", Name: "MALFORMED_ENVELOPE",
		Reason: "this node requires TaskCards in a signed PCI envelope (header " + HeaderEnvelope + ": v1)"})
}

func rejectEnvelope(nodeID string, err error) *messages.TaskResult {
	code := pci.Code(err)
	if code == "" {
		code = "R005"
	}
	return &messages.TaskResult{State: messages.TaskState_TASK_STATE_REJECTED, ErrorCode: code, ErrorMessage: err.Error(), NodeId: nodeID}
}

// Ihsan is the gate's composite score of a card (tool Task).
func (g *Governance) Ihsan(card *messages.TaskCard, now time.Time) float64 {
	if card == nil || g.Gate == nil {
		return 1
	}
	d := g.Gate.Evaluate(gate.Request{Tool: gate.ToolTask, Input: gate.Input{Content: string(card.GetInput())},
		Context: gate.RequestContext{Requester: card.GetRequester().GetName(), SessionID: card.GetSessionId()}}, now)
	return d.Score
}

// SealResult signs res with the node's key. ihsan is the request's gate
// score: the verdict the pipeline recorded in res.governance, evaluated
// afresh only when none was recorded (a card refused before the gate), and
// 1 when there was no decodable request; snr is measured on the result's
// bytes.
func (g *Governance) SealResult(res *messages.TaskResult, card *messages.TaskCard, now time.Time) ([]byte, error) {
	payload, err := proto.Marshal(res)
	if err != nil {
		return nil, err
	}
	ihsan := -1.0
	for _, v := range res.GetGovernance().GetGate() {
		if v.GetTool() == string(gate.ToolTask) {
			ihsan = v.GetScore()
		}
	}
	if ihsan < 0 {
		ihsan = g.Ihsan(card, now)
	}
	env, err := pci.Seal(g.Key, messages.AgentType_AGENT_TYPE_SOVEREIGN, PayloadTaskResult, payload,
		ihsan, pci.SNR(payload), g.ResultTTL, now, nil)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(env)
}

// OpenResult checks a node's result envelope: well formed, signed by its
// signer, not expired. Clients use it; thresholds do not apply to results
// (a short output has a low SNR by nature).
func OpenResult(data []byte, now time.Time) (*messages.TaskResult, *messages.Envelope, error) {
	env := &messages.Envelope{}
	if err := proto.Unmarshal(data, env); err != nil {
		return nil, nil, fmt.Errorf("ingress: result envelope: %w", err)
	}
	if env.GetPayloadType() != PayloadTaskResult || len(env.GetSignerPublicKey()) != ed25519.PublicKeySize {
		return nil, env, errors.New("ingress: result envelope: not a signed TaskResult")
	}
	msg := pci.SignedMessage(env)
	if !pci.VerifySignature(env.GetSignerPublicKey(), msg[:], env.GetSignature()) {
		return nil, env, errors.New("ingress: result envelope: invalid signature")
	}
	if ts := env.GetTimestamp(); ts == nil || !ts.AsTime().Add(time.Duration(env.GetTtlSeconds())*time.Second).After(now) {
		return nil, env, errors.New("ingress: result envelope: expired")
	}
	res := &messages.TaskResult{}
	if err := proto.Unmarshal(env.GetPayload(), res); err != nil {
		return nil, env, fmt.Errorf("ingress: result envelope payload: %w", err)
	}
	return res, env, nil
}
