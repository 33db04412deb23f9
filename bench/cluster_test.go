//go:build !race

// Cluster benchmarks run several nodes in one process, each with its own
// protoactor remote endpoint; gRPC's process-wide logger setting makes that
// a data race under the race detector, so these files build without it.

package bench

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/bizra/bizra/cluster"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/runtime"
)

func fastDetector() cluster.DetectorConfig {
	d := cluster.DefaultDetectorConfig()
	d.HeartbeatInterval = 100 * time.Millisecond
	d.MinStdDev = 30 * time.Millisecond
	d.AcceptablePause = 200 * time.Millisecond
	return d
}

// latencies records per-operation times and prints p50/p99 at cleanup.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) time(op func(int) error) func(int) error {
	return func(i int) error {
		t := time.Now()
		err := op(i)
		l.mu.Lock()
		l.d = append(l.d, time.Since(t))
		l.mu.Unlock()
		return err
	}
}

func (l *latencies) print(label string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	fmt.Fprintf(os.Stdout, "LATENCY %-28s n=%d p50=%v p99=%v\n", label, len(l.d), l.d[len(l.d)/2], l.d[len(l.d)*99/100])
}

// rawRemote: request/response between two actor systems over protoactor
// remote, an echo actor on the far side.
var rawRemote = side{name: "protoactor-remote", setup: func(tb testing.TB) (func(int) error, func()) {
	mk := func() (*actor.ActorSystem, *remote.Remote) {
		sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.NewTextHandler(io.Discard, nil))
		}))
		r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0))
		r.Start()
		return sys, r
	}
	a, ra := mk()
	b, rb := mk()
	pid, err := b.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return echoActor{} }), "echo")
	if err != nil {
		tb.Fatal(err)
	}
	lat := &latencies{}
	return lat.time(func(i int) error {
			v, err := a.Root.RequestFuture(pid, &messages.TaskCard{Id: "r", Capability: "far", Input: payload}, 5*time.Second).Result()
			if err != nil {
				return err
			}
			res, _ := v.(*messages.TaskResult)
			return checkEcho(res, payload)
		}), func() {
			lat.print("protoactor-remote")
			ra.Shutdown(true)
			rb.Shutdown(true)
			a.Shutdown()
			b.Shutdown()
		}
}}

func startMember(tb testing.TB, id string, agents []runtime.AgentConfig, join ...string) *runtime.Node {
	cfg := runtime.DefaultConfig()
	cfg.Records = false
	cfg.DataDir = tb.TempDir()
	cfg.NodeID = id
	cfg.HTTP = "127.0.0.1:0"
	cfg.NATS.Port = 0
	cfg.Agents = agents
	cfg.Cluster.Gossip = "127.0.0.1:0"
	cfg.Cluster.Join = join
	cfg.Cluster.LAN = false
	cfg.Cluster.Detector = fastDetector()
	n, err := runtime.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// bizraCrossNode: a TaskCard dispatched on node A for a capability only node
// B serves: forwarded over protoactor remote, run through B's pipeline,
// sealed by B, verified by A.
var bizraCrossNode = side{name: "bizra-cross-node", setup: func(tb testing.TB) (func(int) error, func()) {
	a := startMember(tb, "bench-a", nil)
	b := startMember(tb, "bench-b", []runtime.AgentConfig{{Name: "far-1", Kind: "echo", Capabilities: []string{"far"}, Mailbox: 4096}},
		a.Membership().Addr())
	deadline := time.Now().Add(20 * time.Second)
	for len(a.Membership().Candidates("far")) == 0 {
		if time.Now().After(deadline) {
			tb.Fatal("b's capability never reached a")
		}
		time.Sleep(10 * time.Millisecond)
	}
	lat := &latencies{}
	return lat.time(func(i int) error {
			return checkEcho(a.Dispatcher().Dispatch(&messages.TaskCard{Capability: "far", Input: payload}), payload)
		}), func() {
			lat.print("bizra-cross-node")
			a.Stop()
			b.Stop()
		}
}}

// BenchmarkCrossNode: cross-member TaskCard round trips vs raw protoactor
// remote request/response between two actor systems in the same process.
func BenchmarkCrossNode(b *testing.B) {
	compare(b, "cross-node vs raw remote", rawRemote, bizraCrossNode, false)
}

func BenchmarkCrossNodeParallel(b *testing.B) {
	compare(b, "cross-node vs raw remote (par)", rawRemote, bizraCrossNode, true)
}

// BenchmarkMembership: time for N members to see each other ACTIVE
// (phi states) beside memberlist's own view of the same cluster, and time
// for every survivor to see a stopped member DEAD beside memberlist's
// own detection, with the same settings (loopback timings, heartbeats every
// 100 ms).
func BenchmarkMembership(b *testing.B) {
	for _, n := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			var conv, mlConv, detect, mlDetect time.Duration
			for i := 0; i < b.N; i++ {
				c, mc, d, md := membershipRound(b, n)
				conv, mlConv, detect, mlDetect = conv+c, mlConv+mc, detect+d, mlDetect+md
			}
			k := time.Duration(b.N)
			b.ReportMetric(float64((conv / k).Milliseconds()), "converge-ms")
			b.ReportMetric(float64((mlConv / k).Milliseconds()), "memberlist-converge-ms")
			b.ReportMetric(float64((detect / k).Milliseconds()), "detect-dead-ms")
			b.ReportMetric(float64((mlDetect / k).Milliseconds()), "memberlist-detect-ms")
		})
	}
}

func membershipRound(b *testing.B, n int) (conv, mlConv, detect, mlDetect time.Duration) {
	start := time.Now()
	ms := make([]*cluster.Membership, 0, n)
	for i := 0; i < n; i++ {
		var join []string
		if i > 0 {
			join = []string{ms[0].Addr()}
		}
		m, err := cluster.Start(cluster.Config{Self: cluster.Meta{NodeID: fmt.Sprintf("m-%02d", i)}, Gossip: "127.0.0.1:0",
			Join: join, Detector: fastDetector()})
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	defer func() {
		for _, m := range ms {
			m.Stop()
		}
	}()
	allActive := func(set []*cluster.Membership, want int) bool {
		for _, m := range set {
			k := 0
			for _, v := range m.Members() {
				if v.State == cluster.Active {
					k++
				}
			}
			if k != want {
				return false
			}
		}
		return true
	}
	mlAll := func(set []*cluster.Membership, want int) bool {
		for _, m := range set {
			if m.GossipAlive() != want {
				return false
			}
		}
		return true
	}
	wait := func(what string, cond func() bool) time.Duration {
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timed out: %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); conv = wait("phi converge", func() bool { return allActive(ms, n) }) }()
	go func() { defer wg.Done(); mlConv = wait("memberlist converge", func() bool { return mlAll(ms, n) }) }()
	wg.Wait()

	victim, rest := ms[n-1], ms[:n-1]
	start = time.Now()
	victim.Stop()
	dead := func() bool {
		for _, m := range rest {
			if v, ok := m.Member(victim.Self().NodeID); !ok || v.State != cluster.Dead {
				return false
			}
		}
		return true
	}
	wg.Add(2)
	go func() { defer wg.Done(); detect = wait("phi detect", dead) }()
	go func() { defer wg.Done(); mlDetect = wait("memberlist detect", func() bool { return mlAll(rest, n-1) }) }()
	wg.Wait()
	return conv, mlConv, detect, mlDetect
}

func TestClusterHarnessSmoke(t *testing.T) {
	smoke(t, rawRemote)
	smoke(t, bizraCrossNode)
}
