package ingress

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/proto"
)

func sealCard(t *testing.T, key ed25519.PrivateKey, card *messages.TaskCard, payloadType string, now time.Time) []byte {
	t.Helper()
	payload, _ := proto.Marshal(card)
	env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_USER, payloadType, payload, 1, pci.SNR(payload), time.Minute, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := proto.Marshal(env)
	return data
}

func newGov(t *testing.T) *Governance {
	v, err := pci.NewVerifier(pci.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &Governance{Verifier: v}
}

// OpenCards gives, message for message, the answers OpenCard gives one at
// a time: acceptances, reject codes and the signer identity.
func TestOpenCardsMatchesOpenCard(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	text := []byte("the quick brown fox jumps over the lazy dog, twice over")
	good := sealCard(t, key, &messages.TaskCard{Id: "a", Capability: "echo", Input: text}, PayloadTaskCard, now)
	var env messages.Envelope
	_ = proto.Unmarshal(sealCard(t, key, &messages.TaskCard{Id: "b", Capability: "echo", Input: text}, PayloadTaskCard, now), &env)
	env.Signature[3] ^= 1
	tampered, _ := proto.Marshal(&env)
	data := [][]byte{
		good,
		tampered,
		{0xff, 0x01},
		sealCard(t, key, &messages.TaskCard{Id: "c", Capability: "echo", Input: text}, "bizra.v1.Other", now),
		sealCard(t, key, &messages.TaskCard{Id: "d", Capability: "echo", Input: text}, PayloadTaskCard, now.Add(-2*time.Minute)),
		good, // a replay of the first
		sealCard(t, key, &messages.TaskCard{Id: "e", Capability: "other", Input: text}, PayloadTaskCard, now),
		sealCard(t, key, &messages.TaskCard{Id: "f", Input: text}, PayloadTaskCard, now),
	}
	caps := []string{"echo", "echo", "echo", "echo", "echo", "echo", "echo", "echo"}
	one, batch := newGov(t), newGov(t)
	cards, rejects := batch.OpenCards(data, caps, 1<<20, "n", now)
	accepted := 0
	for i, d := range data {
		c, r := one.OpenCard(d, caps[i], 1<<20, "n", now)
		if (c == nil) != (cards[i] == nil) || r.GetErrorCode() != rejects[i].GetErrorCode() {
			t.Fatalf("message %d: one by one %v / %v, batch %v / %v", i, c, r, cards[i], rejects[i])
		}
		if c != nil {
			accepted++
			if cards[i].GetRequester().GetName() != pci.PublicKeyID(key.Public().(ed25519.PublicKey)) || cards[i].GetCapability() != "echo" {
				t.Fatalf("message %d: card %v", i, cards[i])
			}
		}
	}
	if accepted != 2 || rejects[1].GetErrorCode() != "R002" || rejects[2].GetErrorCode() != "R005" || rejects[5].GetErrorCode() != "R001" {
		t.Fatalf("accepted %d; rejects %v", accepted, rejects)
	}
}
