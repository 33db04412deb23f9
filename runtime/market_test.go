package runtime_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/bizra/bizra/actors/market"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
)

func TestLicenseCheckOnTasks(t *testing.T) {
	pub, holder, _ := ed25519.GenerateKey(nil)
	_, stranger, _ := ed25519.GenerateKey(nil)
	cfg := testConfig(t)
	cfg.Market.GenesisHolder = pci.PublicKeyID(pub)
	cfg.Market.Require = map[string]market.Kind{"echo": market.KindInference}
	n := startNode(t, cfg, nil)
	nc := connect(t, n)
	holderID := pci.PublicKeyID(pub)
	before, err := n.Market().Balance(holderID)
	if err != nil || before != 1000*market.Credit {
		t.Fatalf("genesis balance %v: %v", before, err)
	}

	// The genesis holder's signed card runs and is charged.
	res, _ := requestEnveloped(t, nc, sealed(t, holder, &messages.TaskCard{Capability: "echo", Input: []byte("licensed")}, time.Now(), time.Minute))
	wantState(t, res, messages.TaskState_TASK_STATE_COMPLETED, "")
	eventually(t, 5*time.Second, "the call charged", func() bool {
		b, _ := n.Market().Balance(holderID)
		return b < before
	})
	// A signer without a license, and a bare card claiming the holder's
	// name and key, are refused with the reason.
	res, _ = requestEnveloped(t, nc, sealed(t, stranger, &messages.TaskCard{Capability: "echo", Input: []byte("x")}, time.Now(), time.Minute))
	wantState(t, res, messages.TaskState_TASK_STATE_REJECTED, market.CodeNoLicense)
	if !strings.Contains(res.GetErrorMessage(), "inference") {
		t.Fatalf("reason: %q", res.GetErrorMessage())
	}
	res = send(t, nc, "bizra.task.echo", &messages.TaskCard{Input: []byte("x"),
		Requester: &messages.Identity{Name: holderID, PublicKey: pub}})
	wantState(t, res, messages.TaskState_TASK_STATE_REJECTED, market.CodeNoLicense)
	// Capabilities outside market.require need no license.
	cfg2 := testConfig(t)
	n2 := startNode(t, cfg2, nil)
	wantState(t, send(t, connect(t, n2), "bizra.task.echo", &messages.TaskCard{Input: []byte("free")}), messages.TaskState_TASK_STATE_COMPLETED, "")
}
