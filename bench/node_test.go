package bench

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/actors/ingress"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/runtime"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
)

// startNode starts a node for the routing and ingress benchmarks. Task
// records (one fsync per task) are off there: those benchmarks measure
// routing; BenchmarkGoverned measures the path with records on.
func startNode(tb testing.TB) *runtime.Node { return startNodeWith(tb, false) }

func startNodeWith(tb testing.TB, records bool) *runtime.Node {
	cfg := runtime.DefaultConfig()
	cfg.Records = records
	cfg.DataDir = tb.TempDir()
	cfg.NodeID = "bench"
	cfg.HTTP = "127.0.0.1:0"
	cfg.NATS.Port = 0
	cfg.Agents[0].Mailbox = 4096
	n, err := runtime.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// echoActor is the raw protoactor baseline: it answers a TaskCard with a
// TaskResult carrying its input.
type echoActor struct{}

func (echoActor) Receive(ctx actor.Context) {
	if c, ok := ctx.Message().(*messages.TaskCard); ok {
		ctx.Respond(&messages.TaskResult{TaskId: c.GetId(), State: messages.TaskState_TASK_STATE_COMPLETED, Output: c.GetInput()})
	}
}

func checkEcho(res *messages.TaskResult, input []byte) error {
	if res.GetState() != messages.TaskState_TASK_STATE_COMPLETED || !bytes.Equal(res.GetOutput(), input) {
		return fmt.Errorf("bad result %v", res)
	}
	return nil
}

var payload = []byte("the quick brown fox jumps over the lazy dog")

var rawProtoactor = side{name: "raw-protoactor", setup: func(tb testing.TB) (func(int) error, func()) {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return echoActor{} }, actor.WithMailbox(actor.Bounded(4096+8))))
	return func(int) error {
			v, err := sys.Root.RequestFuture(pid, &messages.TaskCard{Capability: "echo", Input: payload}, 5*time.Second).Result()
			if err != nil {
				return err
			}
			return checkEcho(v.(*messages.TaskResult), payload)
		}, func() {
			sys.Root.Stop(pid)
			sys.Shutdown()
		}
}}

var bizraRouting = side{name: "bizra-router", setup: func(tb testing.TB) (func(int) error, func()) {
	n := startNode(tb)
	d := n.Dispatcher()
	return func(int) error {
		return checkEcho(d.Dispatch(&messages.TaskCard{Capability: "echo", Input: payload}), payload)
	}, func() { n.Stop() }
}}

// rawNATS is the ingress baseline: a bare responder on an embedded server,
// answered with the request's own bytes.
var rawNATS = side{name: "raw-nats", setup: func(tb testing.TB) (func(int) error, func()) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		tb.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats did not start")
	}
	srv, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		tb.Fatal(err)
	}
	// The responder decodes and encodes as the node must, so the baseline
	// is a protobuf request-reply service, not a byte mirror.
	_, err = srv.Subscribe("raw.echo", func(m *nats.Msg) {
		var c messages.TaskCard
		if proto.Unmarshal(m.Data, &c) != nil {
			return
		}
		out, _ := proto.Marshal(&messages.TaskResult{TaskId: c.GetId(), State: messages.TaskState_TASK_STATE_COMPLETED, Output: c.GetInput()})
		_ = m.Respond(out)
	})
	if err != nil {
		tb.Fatal(err)
	}
	cli, err := nats.Connect(ns.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	return natsOp(cli, "raw.echo"), func() {
		cli.Close()
		srv.Close()
		ns.Shutdown()
	}
}}

var bizraIngress = side{name: "bizra-nats-ingress", setup: func(tb testing.TB) (func(int) error, func()) {
	n := startNode(tb)
	cli, err := nats.Connect(n.NATSURL())
	if err != nil {
		tb.Fatal(err)
	}
	return natsOp(cli, "bizra.task.echo"), func() {
		cli.Close()
		n.Stop()
	}
}}

func natsOp(nc *nats.Conn, subject string) func(int) error {
	return func(i int) error {
		data, _ := proto.Marshal(&messages.TaskCard{Id: strconv.Itoa(i), Capability: "echo", Input: payload})
		msg, err := nc.Request(subject, data, 5*time.Second)
		if err != nil {
			return err
		}
		var res messages.TaskResult
		if err := proto.Unmarshal(msg.Data, &res); err != nil {
			return err
		}
		return checkEcho(&res, payload)
	}
}

// BenchmarkRouting: in-process TaskCard routing (dispatcher → agent actor →
// reply) vs a raw protoactor request/response to an echo actor.
func BenchmarkRouting(b *testing.B) {
	compare(b, "routing (1 client)", rawProtoactor, bizraRouting, false)
}

// BenchmarkRoutingParallel is the same with GOMAXPROCS concurrent clients.
func BenchmarkRoutingParallel(b *testing.B) {
	compare(b, "routing (parallel)", rawProtoactor, bizraRouting, true)
}

// BenchmarkIngress: NATS request-reply through the node vs raw nats.go
// request-reply to a bare responder.
func BenchmarkIngress(b *testing.B) {
	compare(b, "nats ingress (1 client)", rawNATS, bizraIngress, false)
}

// BenchmarkIngressParallel is the same with concurrent clients.
func BenchmarkIngressParallel(b *testing.B) {
	compare(b, "nats ingress (parallel)", rawNATS, bizraIngress, true)
}

func TestHarnessSmoke(t *testing.T) {
	for _, s := range []side{rawProtoactor, bizraRouting, rawNATS, bizraIngress, bizraGoverned} {
		smoke(t, s)
	}
}

// bizraGoverned sends each card sealed in a PCI envelope and verifies the
// node's signed result: envelope verification, replay check, gate stage,
// result signing, client-side signature check.
var bizraGoverned = side{name: "bizra-governed", setup: func(tb testing.TB) (func(int) error, func()) {
	n := startNodeWith(tb, true)
	cli, err := nats.Connect(n.NATSURL())
	if err != nil {
		tb.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	return func(i int) error {
			now := time.Now()
			card, _ := proto.Marshal(&messages.TaskCard{Id: fmt.Sprintf("g-%d-%d", now.UnixNano(), i), Capability: "echo", Input: payload, TraceId: "bench"})
			env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_USER, ingress.PayloadTaskCard, card, 1, pci.SNR(card), time.Minute, now, nil)
			if err != nil {
				return err
			}
			req := nats.NewMsg("bizra.task.echo")
			req.Header.Set(ingress.HeaderEnvelope, "v1")
			req.Data, _ = proto.Marshal(env)
			msg, err := cli.RequestMsg(req, 5*time.Second)
			if err != nil {
				return err
			}
			res, _, err := ingress.OpenResult(msg.Data, time.Now())
			if err != nil {
				return err
			}
			return checkEcho(res, payload)
		}, func() {
			cli.Close()
			n.Stop()
		}
}}

// BenchmarkGoverned: the governed path (sealed card verified, gate, task
// record written durably with its proof, signed result verified by the
// client) vs the bare-protobuf path through a node without records.
func BenchmarkGoverned(b *testing.B) {
	compare(b, "governed vs ungoverned", bizraIngress, bizraGoverned, false)
}

// BenchmarkGovernedParallel: the governed path from parallel clients; the
// node takes the envelopes waiting on its subscription together and checks
// their signatures in one batch.
func BenchmarkGovernedParallel(b *testing.B) {
	compare(b, "governed vs ungoverned (par)", bizraIngress, bizraGoverned, true)
}
