package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashDirEnv, when set, makes TestCrashChild the writer process.
const crashDirEnv = "BIZRA_STORE_CRASH_DIR"

// crashValue is the value written under id: derived from the id so the
// parent can check it is intact.
func crashValue(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return bytes.Repeat(h[:], 4)
}

// TestCrashChild is the child of TestCrashKeepsAcknowledgedWrites: it
// writes synced entries for ever (until killed) and prints "ack <id>" on
// stdout after each write returns.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestCrashKeepsAcknowledgedWrites")
	}
	// Watchdog in case the parent dies without killing us.
	time.AfterFunc(2*time.Minute, func() { os.Exit(3) })
	s, err := Open(dir, testConfig())
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	c, err := s.NewCommitter()
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	var out sync.Mutex
	ack := func(id string) {
		out.Lock()
		// One write(2) per line, straight to the pipe.
		os.Stdout.WriteString("ack " + id + "\n")
		out.Unlock()
	}
	fmt.Println("ready")
	var wg sync.WaitGroup
	// Group-committed writers: each write is an atomic pair.
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%d-%06d", w, i)
				var b Batch
				b.Put(Key(PrefixLog, id), crashValue(id))
				b.Put(Key(PrefixLog, id+"/pair"), crashValue(id+"/pair"))
				if err := c.Commit(&b); err != nil {
					fmt.Printf("error %v\n", err)
					os.Exit(2)
				}
				ack(id)
			}
		})
	}
	// A writer using plain synced Puts.
	wg.Go(func() {
		for i := 0; ; i++ {
			id := fmt.Sprintf("p-%06d", i)
			if err := s.Put(Key(PrefixLog, id), crashValue(id), Sync); err != nil {
				fmt.Printf("error %v\n", err)
				os.Exit(2)
			}
			ack(id)
		}
	})
	wg.Wait()
}

func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
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
	acked := map[string]bool{}
	const killAfter = 300
	for {
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break // a partial last line was cut by the kill: not acknowledged
		}
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "ready":
			// The child holds the directory: another process can't open it.
			if _, err := Open(dir, testConfig()); !errors.Is(err, ErrLocked) {
				t.Fatalf("Open while the child holds the store: %v, want ErrLocked", err)
			}
		case strings.HasPrefix(line, "ack "):
			acked[strings.TrimPrefix(line, "ack ")] = true
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
	groupAcks, putAcks := 0, 0
	for id := range acked {
		if strings.HasPrefix(id, "g") {
			groupAcks++
		} else {
			putAcks++
		}
	}
	if groupAcks == 0 || putAcks == 0 {
		t.Fatalf("acks: %d group, %d put; want both kinds", groupAcks, putAcks)
	}

	s := openAt(t, dir)
	for id := range acked {
		v, err := s.Get(Key(PrefixLog, id))
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", id, err)
		}
		if !bytes.Equal(v, crashValue(id)) {
			t.Fatalf("acknowledged %s damaged", id)
		}
	}
	// Whatever is present (acknowledged or not) is intact, and group
	// batches are all-or-nothing.
	present, unacked := 0, 0
	err = s.Scan([]byte(PrefixLog), func(k, v []byte) error {
		id := strings.TrimPrefix(string(k), PrefixLog)
		if !bytes.Equal(v, crashValue(id)) {
			return fmt.Errorf("%s damaged", id)
		}
		if strings.HasPrefix(id, "g") && !strings.HasSuffix(id, "/pair") {
			if ok, err := s.Has(Key(PrefixLog, id+"/pair")); err != nil || !ok {
				return fmt.Errorf("%s present without its pair", id)
			}
		}
		if !strings.HasSuffix(id, "/pair") {
			present++
			if !acked[id] {
				unacked++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged (%d group, %d put), %d present after restart (%d written but not acknowledged)",
		len(acked), groupAcks, putAcks, present, unacked)
}
