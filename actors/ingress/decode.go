package ingress

import (
	"fmt"

	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// DecodeTaskCard decodes a protobuf TaskCard received on a NATS subject.
// subjectCapability is the capability named by the subject (empty for the
// bare bizra.task subject). It returns the card, or a final result saying
// why the request cannot run.
func DecodeTaskCard(data []byte, subjectCapability string, maxPayload int, nodeID string) (*messages.TaskCard, *messages.TaskResult) {
	card := &messages.TaskCard{}
	if err := proto.Unmarshal(data, card); err != nil {
		return nil, malformed(nodeID, fmt.Sprintf("not a protobuf TaskCard: %v", err))
	}
	return checkCapability(card, subjectCapability, maxPayload, nodeID)
}

// DecodeJSONTaskCard decodes a protojson TaskCard (the HTTP body). Unknown
// fields are an error, so a typo is reported instead of ignored.
func DecodeJSONTaskCard(data []byte, maxPayload int, nodeID string) (*messages.TaskCard, *messages.TaskResult) {
	card := &messages.TaskCard{}
	if err := protojson.Unmarshal(data, card); err != nil {
		return nil, malformed(nodeID, fmt.Sprintf("not a JSON TaskCard: %v", err))
	}
	return checkCapability(card, "", maxPayload, nodeID)
}

func checkCapability(card *messages.TaskCard, subjectCapability string, maxPayload int, nodeID string) (*messages.TaskCard, *messages.TaskResult) {
	card.Hops = 0 // only members set it, on their peer path
	if card.Requester != nil {
		// A bare card's requester is a claim, not an identity: only a
		// verified envelope sets the key (OpenCard).
		card.Requester.PublicKey = nil
	}
	switch {
	case subjectCapability != "" && card.GetCapability() == "":
		card.Capability = subjectCapability
	case subjectCapability != "" && card.GetCapability() != subjectCapability:
		return nil, router.Reject(card, nodeID, messages.TaskState_TASK_STATE_REJECTED, messages.CodeCapabilityMismatch,
			fmt.Sprintf("subject names capability %q but the card names %q", subjectCapability, card.GetCapability()))
	}
	if r := router.CheckCard(card, maxPayload, nodeID); r != nil {
		return nil, r
	}
	return card, nil
}

func malformed(nodeID, msg string) *messages.TaskResult {
	return &messages.TaskResult{
		State:        messages.TaskState_TASK_STATE_REJECTED,
		ErrorCode:    messages.CodeMalformed,
		ErrorMessage: msg,
		NodeId:       nodeID,
	}
}
