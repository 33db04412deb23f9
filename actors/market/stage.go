package market

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
)

// Stage is the license check of the request pipeline (seed §3.1 step 5);
// it satisfies router.Stage. Before rejects a task whose capability needs
// a license (Config.Required) when the requester holds none of that kind
// (CodeNoLicense), or cannot pay CallPrice (CodeNoCredits). After charges
// the call's cost (Config.Cost of the elapsed time) to the requester
// through the charges actor, without waiting: only for tasks that needed
// a license and reached an agent.
type Stage struct{ m *Market }

// Stage returns the market's license check stage.
func (m *Market) Stage() *Stage { return &Stage{m: m} }

// Name implements router.Stage.
func (s *Stage) Name() string { return "market" }

// RequesterID returns the identity of a card's requester: the "ed25519:…"
// key id of card.Requester.PublicKey, which ingress sets from the signer
// of a verified PCI envelope (ingress.Governance.OpenCard). It returns ""
// when the card has no 32 byte requester key, or when Requester.Name is
// set and is not that key's id.
func RequesterID(card *messages.TaskCard) string {
	r := card.GetRequester()
	if len(r.GetPublicKey()) != ed25519.PublicKeySize {
		return ""
	}
	id := pci.PublicKeyID(r.GetPublicKey())
	if r.GetName() != "" && r.GetName() != id {
		return ""
	}
	return id
}

// Before implements router.Stage.
func (s *Stage) Before(card *messages.TaskCard, now time.Time) *messages.TaskResult {
	kind := s.m.cfg.Required(card.GetCapability())
	if kind == "" {
		return nil
	}
	who := RequesterID(card)
	if who == "" {
		return reject(card, CodeNoLicense, fmt.Sprintf("capability %q needs a %s license and the task has no verified requester: send it in a signed PCI envelope",
			card.GetCapability(), kind))
	}
	if !s.m.led.Holds(who, kind) {
		return reject(card, CodeNoLicense, fmt.Sprintf("capability %q needs a %s license; %s holds none (see bizra market licenses, then buy one)",
			card.GetCapability(), kind, who))
	}
	if bal := s.m.led.Balance(who); bal < s.m.cfg.CallPrice {
		return reject(card, CodeNoCredits, fmt.Sprintf("a call costs at least %s credits; %s has %s", s.m.cfg.CallPrice, who, bal))
	}
	return nil
}

// After implements router.Stage.
func (s *Stage) After(card *messages.TaskCard, res *messages.TaskResult, elapsed time.Duration, now time.Time) {
	if s.m.stopped.Load() || res.GetAgent() == "" || s.m.cfg.Required(card.GetCapability()) == "" {
		return
	}
	who := RequesterID(card)
	if who == "" {
		return
	}
	u := Usage{Elapsed: elapsed}
	if r := res.GetGovernance().GetInference(); r != nil { // an llm agent's task reports its tokens
		u.Tokens = int64(r.GetPromptTokens()) + int64(r.GetCompletionTokens())
	}
	cost := s.m.cfg.Cost(u)
	if cost <= 0 {
		return
	}
	s.m.sys.Root.Send(s.m.charges, &chargeMsg{who: who, amount: cost, ref: "task:" + card.GetId(), now: now})
}

func reject(card *messages.TaskCard, code, msg string) *messages.TaskResult {
	return &messages.TaskResult{TaskId: card.GetId(), State: messages.TaskState_TASK_STATE_REJECTED,
		ErrorCode: code, ErrorMessage: msg, SessionId: card.GetSessionId(), TraceId: card.GetTraceId()}
}
