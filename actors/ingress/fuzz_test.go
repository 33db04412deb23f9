package ingress

import (
	"testing"

	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
)

// checkDecoded holds for any input: exactly one of card and rejection, a
// rejection is final and coded, and an accepted card respects the limits.
func checkDecoded(t *testing.T, card *messages.TaskCard, rej *messages.TaskResult, subject string, limit int) {
	if (card == nil) == (rej == nil) {
		t.Fatalf("card %v, rejection %v", card, rej)
	}
	if rej != nil {
		if rej.State != messages.TaskState_TASK_STATE_REJECTED || rej.ErrorCode == "" || rej.ErrorMessage == "" {
			t.Fatalf("rejection without code: %v", rej)
		}
		return
	}
	if !router.ValidName(card.Capability) || len(card.Input) > limit || (subject != "" && card.Capability != subject) {
		t.Fatalf("accepted %v", card)
	}
}

func FuzzDecodeTaskCard(f *testing.F) {
	f.Add(mustMarshal(&messages.TaskCard{Id: "a", Capability: "echo", Input: []byte("hi")}), "echo")
	f.Add(mustMarshal(&messages.TaskCard{Parameters: map[string]string{"k": "v"}}), "")
	f.Add([]byte{0x0a, 0x80}, "echo")
	f.Fuzz(func(t *testing.T, data []byte, subject string) {
		const limit = 64
		card, rej := DecodeTaskCard(data, subject, limit, "n")
		checkDecoded(t, card, rej, subject, limit)
		if card != nil {
			// What was accepted survives a round trip.
			again, rej2 := DecodeTaskCard(mustMarshal(card), subject, limit, "n")
			if rej2 != nil || !proto.Equal(card, again) {
				t.Fatalf("round trip: %v vs %v (%v)", card, again, rej2)
			}
		}
	})
}

func FuzzDecodeJSONTaskCard(f *testing.F) {
	f.Add([]byte(`{"capability":"echo","input":"aGk="}`))
	f.Add([]byte(`{"id":"x","capability":"echo","parameters":{"a":"b"},"deadline":"2030-01-01T00:00:00Z","complexity":"TASK_COMPLEXITY_LOW"}`))
	f.Add([]byte(`{"capability":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 64
		card, rej := DecodeJSONTaskCard(data, limit, "n")
		checkDecoded(t, card, rej, "", limit)
	})
}
