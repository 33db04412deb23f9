package pci_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/proto"
)

func Example() {
	dir, _ := os.MkdirTemp("", "pci-example")
	defer os.RemoveAll(dir)
	key, err := pci.LoadOrCreateKey(filepath.Join(dir, "keys", "client.key"))
	if err != nil {
		panic(err)
	}

	card, _ := proto.Marshal(&messages.TaskCard{
		Capability: "echo",
		Input:      []byte("summarise the quarterly report and list the open risks"),
		MediaType:  "text/plain",
	})
	now := time.Now()
	gateScore := 0.97 // the FATE gate's composite score of the request
	env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_USER, "bizra.v1.TaskCard", card,
		gateScore, pci.SNR(card), 5*time.Minute, now, nil)
	if err != nil {
		panic(err)
	}
	wire, _ := proto.Marshal(env)

	v, err := pci.NewVerifier(pci.DefaultConfig())
	if err != nil {
		panic(err)
	}
	got, err := v.Open(wire, now.Add(2*time.Second))
	fmt.Println("accepted:", err == nil, got.GetPayloadType())

	_, err = v.Open(wire, now.Add(3*time.Second))
	fmt.Println("again:", pci.Code(err), errors.Is(err, pci.ErrReplay))

	_, err = v.Open(wire, now.Add(6*time.Minute))
	fmt.Println("later:", pci.Code(err), errors.Is(err, pci.ErrReplay))

	fmt.Println("signer:", pci.PublicKeyID(env.SignerPublicKey)[:8])
	// Output:
	// accepted: true bizra.v1.TaskCard
	// again: R001 true
	// later: R001 false
	// signer: ed25519:
}
