package market

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/store"
)

// crashDirEnv, when set, makes TestCrashChild the writer process.
const crashDirEnv = "BIZRA_MARKET_CRASH_DIR"

const crashWriters = 6

func crashConfig() Config {
	cfg := DefaultConfig()
	cfg.GenesisHolder = ident(0)
	cfg.SettleInterval = 0
	cfg.MaxGini = 1
	for i := 1; i <= crashWriters; i++ {
		cfg.Grants = append(cfg.Grants, Grant{To: ident(i), Amount: 1000 * Credit})
	}
	return cfg
}

// TestCrashChild is the child of TestCrashKeepsAcknowledgedEntries: it
// charges, transfers and buys for ever from several goroutines and prints
// "ack <seq> <hash>" for the last entry of every acknowledged operation.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashKeepsAcknowledgedEntries")
	}
	time.AfterFunc(2*time.Minute, func() { os.Exit(3) })
	fail := func(err error) {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	s, err := store.Open(dir, storeConfig())
	if err != nil {
		fail(err)
	}
	m, err := Open(s, nodeKey, crashConfig(), actor.NewActorSystem())
	if err != nil {
		fail(err)
	}
	var out sync.Mutex
	ack := func(rec Receipt) {
		if len(rec.Entries) == 0 {
			return
		}
		e := rec.Entries[len(rec.Entries)-1]
		out.Lock()
		os.Stdout.WriteString("ack " + strconv.FormatUint(e.Seq, 10) + " " + e.Hash.String() + "\n")
		out.Unlock()
	}
	fmt.Println("ready")
	var wg sync.WaitGroup
	for w := 1; w <= crashWriters; w++ {
		wg.Go(func() {
			for i := 0; ; i++ {
				var (
					rec Receipt
					err error
				)
				switch i % 3 {
				case 0:
					rec, err = m.Charge(ident(w), Usage{Elapsed: time.Duration(i) * time.Millisecond}, fmt.Sprint("task:", w, "-", i))
				case 1:
					rec, err = m.Transfer(ident(w), ident(w%crashWriters+1), Micro(i))
				case 2:
					id := fmt.Sprint("inference-", i%4)
					lic, _ := m.Ledger().License(id)
					rec, err = m.Buy(ident(w), id, lic.Value, lic.Value+1)
					if errors.Is(err, ErrStalePrice) || errors.Is(err, ErrOwnLicense) {
						continue
					}
				}
				if err != nil {
					fail(err)
				}
				ack(rec)
			}
		})
	}
	wg.Wait()
}

// TestCrashKeepsAcknowledgedEntries kills a writing process with SIGKILL
// and checks that on reopen the ledger audits (balances recomputed from
// the entries equal the stored ones and sum to the supply) and holds
// every acknowledged entry unchanged.
func TestCrashKeepsAcknowledgedEntries(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	r := bufio.NewReader(stdout)
	acked := map[uint64]string{}
	const killAfter = 300
	for {
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "ack "):
			f := strings.Fields(line)
			if len(f) != 3 {
				continue // cut by the kill
			}
			seq, _ := strconv.ParseUint(f[1], 10, 64)
			acked[seq] = f[2]
			if len(acked) == killAfter && !killed {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		case strings.HasPrefix(line, "error "):
			t.Fatalf("child: %s", line)
		}
	}
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !killed || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}

	s := openStore(t, dir)
	m := openMarket(t, s, crashConfig(), newSystem(t)) // audits
	entries, err := m.Ledger().Entries(1, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var maxAcked uint64
	for seq, hash := range acked {
		maxAcked = max(maxAcked, seq)
		if seq > uint64(len(entries)) || entries[seq-1].Hash.String() != hash {
			t.Fatalf("acknowledged entry %d lost or changed", seq)
		}
	}
	bal := map[string]Micro{}
	for _, e := range entries {
		e.apply(bal)
	}
	for id, b := range m.Ledger().Balances() {
		if bal[id] != b {
			t.Fatalf("%s: recomputed %s, ledger %s", id, bal[id], b)
		}
	}
	if sumBalances(m.Ledger()) != m.Status().Supply {
		t.Fatal("not conserved after the crash")
	}
	t.Logf("%d operations acknowledged (last entry %d); %d entries after restart", len(acked), maxAcked, len(entries))
}
