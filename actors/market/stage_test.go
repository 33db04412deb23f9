package market

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
)

var _ router.Stage = (*Stage)(nil)

func card(capability string, requester ed25519.PrivateKey) *messages.TaskCard {
	c := &messages.TaskCard{Id: "task-1", Capability: capability}
	if requester != nil {
		pub := requester.Public().(ed25519.PublicKey)
		c.Requester = &messages.Identity{Name: keyID(requester), PublicKey: pub, Type: messages.AgentType_AGENT_TYPE_USER}
	}
	return c
}

func TestStage(t *testing.T) {
	clk := newClock()
	cfg := testConfig(clk)
	cfg.Require = map[string]Kind{"echo": "", "federate": KindFederation}
	cfg.MaxGini = 1 // the test empties an account
	cfg.Grants = []Grant{{To: ident(1), Amount: 1000 * Credit}}
	s := openStore(t, t.TempDir())
	m := openMarket(t, s, cfg, newSystem(t))
	st := m.Stage()
	now := clk.Now()

	// The genesis holder runs tasks out of the box.
	if r := st.Before(card("llm", testKey(0)), now); r != nil {
		t.Fatalf("genesis holder rejected: %v", r)
	}
	// Others are rejected with the code and a reason naming the kind.
	for _, c := range []*messages.TaskCard{card("llm", testKey(1)), card("llm", nil)} {
		r := st.Before(c, now)
		if r == nil || r.GetErrorCode() != CodeNoLicense || r.GetState() != messages.TaskState_TASK_STATE_REJECTED || r.GetTaskId() != "task-1" {
			t.Fatalf("no license: %v", r)
		}
	}
	// A forged name that is not the key's id is no identity.
	forged := card("llm", testKey(1))
	forged.Requester.Name = ident(0)
	if r := st.Before(forged, now); r == nil || r.GetErrorCode() != CodeNoLicense {
		t.Fatalf("forged requester: %v", r)
	}
	// Capabilities mapped to "" need no license; others their kind.
	if r := st.Before(card("echo", nil), now); r != nil {
		t.Fatalf("echo needs no license: %v", r)
	}
	if r := st.Before(card("federate", testKey(0)), now); r == nil || r.GetErrorCode() != CodeNoLicense {
		t.Fatalf("federation license needed: %v", r)
	}
	// After buying a license ident(1) may run tasks.
	if _, err := m.Buy(ident(1), "inference-1", 100*Credit, 100*Credit); err != nil {
		t.Fatal(err)
	}
	if r := st.Before(card("llm", testKey(1)), now); r != nil {
		t.Fatalf("license holder rejected: %v", r)
	}

	// After charges the cost of calls that ran, asynchronously.
	before, _ := m.Balance(ident(0))
	st.After(card("llm", testKey(0)), &messages.TaskResult{Agent: "llm-1"}, 2500*time.Millisecond, now)
	st.After(card("llm", testKey(0)), &messages.TaskResult{}, time.Second, now)            // never reached an agent: free
	st.After(card("echo", testKey(0)), &messages.TaskResult{Agent: "e"}, time.Second, now) // no license needed: free
	want := before - cfg.CallPrice - 25*Credit/1000
	eventually(t, "the charge", func() bool { b, _ := m.Balance(ident(0)); return b == want })
	if sumBalances(m.Ledger()) != m.Status().Supply {
		t.Fatal("not conserved")
	}
	// A requester who cannot pay CallPrice is turned away.
	if _, err := m.Transfer(ident(0), ident(1), want); err != nil {
		t.Fatal(err)
	}
	if r := st.Before(card("llm", testKey(0)), now); r == nil || r.GetErrorCode() != CodeNoCredits {
		t.Fatalf("no credits: %v", r)
	}
}

func TestCost(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PricePerToken = 10
	if got := cfg.Cost(Usage{Elapsed: 1500 * time.Millisecond, Tokens: 7}); got != 1000+15000+70 {
		t.Fatalf("cost %d", got)
	}
	cfg.PricePerSecond = cfg.MaxValue
	if got := cfg.Cost(Usage{Elapsed: 1 << 62, Tokens: 1 << 62}); got != MaxAmount {
		t.Fatalf("saturated cost %d", got)
	}
}
