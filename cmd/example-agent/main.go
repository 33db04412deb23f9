// Command example-agent is a runnable external agent: it joins a BIZRA node
// over NATS with the capability "upper" and answers each TaskCard with its
// input in upper case.
//
//	go run ./cmd/example-agent --nats nats://127.0.0.1:4222
//	bizra task send --capability upper --input hello   # prints HELLO
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/bizra/bizra/actors/agentkit"
	"github.com/bizra/bizra/messages"
	"github.com/nats-io/nats.go"
)

func main() {
	url := flag.String("nats", "nats://127.0.0.1:4222", "NATS URL of a node")
	name := flag.String("name", "upper-1", "agent name, unique per node")
	capability := flag.String("capability", "upper", "capability to serve")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	nc, err := nats.Connect(*url, nats.Name("example-agent "+*name))
	if err != nil {
		fmt.Fprintln(os.Stderr, "example-agent:", err)
		os.Exit(1)
	}
	defer nc.Close()
	a, err := agentkit.Join(nc, agentkit.Config{Name: *name, Capabilities: []string{*capability}},
		agentkit.HandlerFunc(func(_ context.Context, t *messages.TaskCard) ([]byte, error) {
			return bytes.ToUpper(t.GetInput()), nil
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "example-agent:", err)
		os.Exit(1)
	}
	log.Info("joined", "agent", *name, "capability", *capability, "node", a.Ack.GetNodeId(), "subject", a.Ack.GetSubject())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	a.Stop()
	log.Info("left", "agent", *name)
}
