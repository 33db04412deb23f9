package peer

import (
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/ingress"
	"github.com/bizra/bizra/cluster"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
)

// fakePeer is an in-memory implementation of the peer protocol: it runs
// an echo and seals the result with its key. A card whose input is "hold"
// is answered only the second time the same task id arrives (a member that
// dies holding it, then the retry elsewhere).
type fakePeer struct {
	key  ed25519.PrivateKey
	mu   sync.Mutex
	seen map[string]int
}

func (p *fakePeer) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*messages.PeerTask)
	if !ok {
		return
	}
	card := m.GetCard()
	p.mu.Lock()
	p.seen[card.GetId()]++
	n := p.seen[card.GetId()]
	p.mu.Unlock()
	if string(card.GetInput()) == "hold" && n == 1 {
		return
	}
	gov := &ingress.Governance{Key: p.key, ResultTTL: time.Minute}
	env, err := gov.SealResult(&messages.TaskResult{TaskId: card.GetId(), State: messages.TaskState_TASK_STATE_COMPLETED,
		Output: card.GetInput(), NodeId: "remote"}, card, time.Now())
	if err != nil {
		panic(err)
	}
	ctx.Respond(&messages.PeerResult{Envelope: env})
}

type staticMembers []cluster.Member

func (s staticMembers) Candidates(capability string) []cluster.Member {
	var out []cluster.Member
	for _, m := range s {
		if m.State == cluster.Active && m.Meta.Has(capability) {
			out = append(out, m)
		}
	}
	return out
}

func member(id, remote, key string) cluster.Member {
	return cluster.Member{MemberView: cluster.MemberView{ID: id, State: cluster.Active},
		Meta: cluster.Meta{NodeID: id, Remote: remote, Key: key, Capabilities: []string{"echo"}}}
}

func setup(t *testing.T) (*actor.ActorSystem, *Forwarder, string) {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(sys.Shutdown)
	pub, key, _ := ed25519.GenerateKey(nil)
	fp := &fakePeer{key: key, seen: map[string]int{}}
	if _, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return fp }), "bizra/"+ActorName); err != nil {
		t.Fatal(err)
	}
	f := &Forwarder{NodeID: "here", System: sys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return sys, f, pci.PublicKeyID(pub)
}

func forward(f *Forwarder, card *messages.TaskCard) <-chan *messages.TaskResult {
	ch := make(chan *messages.TaskResult, 1)
	f.Forward(card, 5*time.Second, func(r *messages.TaskResult) { ch <- r })
	return ch
}

func wait(t *testing.T, ch <-chan *messages.TaskResult) *messages.TaskResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result")
		return nil
	}
}

func TestForwardVerifiesTheMembersSignature(t *testing.T) {
	sys, f, keyID := setup(t)
	addr := sys.Address()
	// No membership yet, then no member with the capability.
	if r := wait(t, forward(f, &messages.TaskCard{Id: "t0", Capability: "echo"})); r.GetErrorCode() != messages.CodeUnknownCapability {
		t.Fatalf("no members: %v", r)
	}
	f.SetMembers(staticMembers{member("m1", addr, keyID)})
	if r := wait(t, forward(f, &messages.TaskCard{Id: "t1", Capability: "other"})); r.GetErrorCode() != messages.CodeUnknownCapability {
		t.Fatalf("unknown capability: %v", r)
	}
	r := wait(t, forward(f, &messages.TaskCard{Id: "t2", Capability: "echo", Input: []byte("hi")}))
	if r.GetState() != messages.TaskState_TASK_STATE_COMPLETED || string(r.GetOutput()) != "hi" || r.GetNodeId() != "remote" {
		t.Fatalf("forwarded: %v", r)
	}
	// A member gossiping another key than the one it signs with is refused.
	other, _, _ := ed25519.GenerateKey(nil)
	f.SetMembers(staticMembers{member("m1", addr, pci.PublicKeyID(other))})
	if r := wait(t, forward(f, &messages.TaskCard{Id: "t3", Capability: "echo", Input: []byte("x")})); r.GetErrorCode() != messages.CodePeerUntrusted ||
		!strings.Contains(r.GetErrorMessage(), "gossips") {
		t.Fatalf("wrong signer: %v", r)
	}
	// So is a member whose key the trust policy does not admit.
	f.SetMembers(staticMembers{member("m1", addr, keyID)})
	f.Trust = func(ed25519.PublicKey) error { return errors.New("not in trust.allow") }
	if r := wait(t, forward(f, &messages.TaskCard{Id: "t4", Capability: "echo", Input: []byte("x")})); r.GetErrorCode() != messages.CodePeerUntrusted {
		t.Fatalf("trust policy: %v", r)
	}
}

func TestMemberDownFailsOrRetriesWhatItHeld(t *testing.T) {
	sys, f, keyID := setup(t)
	addr := sys.Address()
	f.SetMembers(staticMembers{member("m1", addr, keyID)})
	lost := forward(f, &messages.TaskCard{Id: "n1", Capability: "echo", Input: []byte("hold")})
	for deadline := time.Now().Add(5 * time.Second); f.InFlight("m1") != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("card never in flight")
		}
	}
	f.MemberDown("m1")
	if r := wait(t, lost); r.GetErrorCode() != messages.CodeMemberLost || !strings.Contains(r.GetErrorMessage(), "not idempotent") {
		t.Fatalf("non-idempotent card on a dead member: %v", r)
	}
	// An idempotent card runs once more on another member.
	f.SetMembers(staticMembers{member("m1", addr, keyID), member("m2", addr, keyID)})
	kept := forward(f, &messages.TaskCard{Id: "i1", Capability: "echo", Input: []byte("hold"), Idempotent: true})
	var first string
	for deadline := time.Now().Add(5 * time.Second); first == ""; time.Sleep(time.Millisecond) {
		for _, id := range []string{"m1", "m2"} {
			if f.InFlight(id) == 1 {
				first = id
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("card never in flight")
		}
	}
	f.MemberDown(first)
	if r := wait(t, kept); r.GetState() != messages.TaskState_TASK_STATE_COMPLETED || string(r.GetOutput()) != "hold" {
		t.Fatalf("idempotent card after its member died: %v", r)
	}
}
