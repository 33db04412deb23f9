package shell

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bizra/bizra/actors/agent"
	"github.com/bizra/bizra/actors/gate"
	"github.com/bizra/bizra/messages"
)

func newHandler(t *testing.T, mutate func(*Config)) *Handler {
	t.Helper()
	g, err := gate.New(gate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Workdir = filepath.Join(t.TempDir(), "sandbox")
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := New(cfg, g)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func run(h *Handler, cmd string) (agent.Output, error) {
	return h.Handle(context.Background(), &messages.TaskCard{Input: []byte(cmd), SessionId: "s",
		Requester: &messages.Identity{Name: "test"}})
}

// blockTable reads the gate's bypass table (RULE<TAB>COMMAND).
func blockTable(t *testing.T) []string {
	f, err := os.Open("../gate/testdata/shell_block.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, cmd, _ := strings.Cut(line, "\t")
		if strings.HasPrefix(cmd, `"`) {
			if cmd, err = strconv.Unquote(cmd); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, cmd)
	}
	return out
}

func TestBypassTableIsRejectedAndNeverRuns(t *testing.T) {
	h := newHandler(t, nil)
	cmds := blockTable(t)
	if len(cmds) < 40 {
		t.Fatalf("only %d bypass attempts", len(cmds))
	}
	for _, cmd := range cmds {
		_, err := run(h, cmd)
		var rej *agent.RejectError
		if !errors.As(err, &rej) || rej.Code != gate.CodeBlocked {
			t.Errorf("%q: got %v, want %s", cmd, err, gate.CodeBlocked)
		}
	}
	// Nothing ran: the sandbox is still empty.
	entries, err := os.ReadDir(h.cfg.Workdir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("sandbox touched: %v %v", entries, err)
	}
}

func TestEverydayCommandsRun(t *testing.T) {
	h := newHandler(t, nil)
	if err := os.WriteFile(filepath.Join(h.cfg.Workdir, "file"), []byte("a\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for cmd, want := range map[string]string{
		"echo hello":                   "hello\n",
		"cat file | wc -l":             "3\n",
		"echo $HOME":                   h.cfg.Workdir + "\n",
		"pwd":                          h.cfg.Workdir + "\n",
		"ls":                           "file\n",
		"grep -r b .":                  "./file:b\n",
		"find . -name 'fi*'":           "./file\n",
		"printf '%s-%s' a b":           "a-b",
		"env | grep -c SECRET || true": "0\n",
	} {
		out, err := run(h, cmd)
		if err != nil || string(out.Data) != want {
			t.Errorf("%q: got %q %v, want %q", cmd, out.Data, err, want)
		}
	}
}

func TestEnvironmentIsScrubbed(t *testing.T) {
	t.Setenv("BIZRA_TEST_SECRET", "hunter2")
	h := newHandler(t, nil)
	out, err := run(h, "env")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out.Data), "hunter2") {
		t.Fatal("node environment leaked into the command")
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(out.Data)), "\n") {
		k, _, _ := strings.Cut(l, "=")
		names = append(names, k)
	}
	for _, k := range names {
		switch k {
		case "PATH", "HOME", "LANG", "TMPDIR", "PWD", "SHLVL", "_", "OLDPWD":
		default:
			t.Errorf("unexpected variable %s", k)
		}
	}
}

func TestExitTimeoutAndOutputCap(t *testing.T) {
	h := newHandler(t, func(c *Config) { c.Timeout = 300 * time.Millisecond; c.MaxOutput = 10 })
	_, err := run(h, "ls no-such-file")
	var fail *agent.FailError
	if !errors.As(err, &fail) || fail.Code != CodeExit || !strings.Contains(fail.Message, "no-such-file") {
		t.Fatalf("exit: %v", err)
	}
	start := time.Now()
	_, err = run(h, "sleep 30")
	if !errors.As(err, &fail) || fail.Code != CodeTimeout {
		t.Fatalf("timeout: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("timeout took %s", time.Since(start))
	}
	out, err := run(h, "echo 0123456789abcdef")
	if !errors.As(err, &fail) || fail.Code != CodeOutputLimit || string(out.Data) != "0123456789" {
		t.Fatalf("cap: %q %v", out.Data, err)
	}
}

func TestFactoryOptions(t *testing.T) {
	g, _ := gate.New(gate.DefaultConfig())
	root := t.TempDir()
	f := Factory(g, nil, root)
	hd, err := f(agent.Spec{Name: "sh-1", Options: map[string]string{"timeout": "2s", "max_output": "100"}})
	if err != nil {
		t.Fatal(err)
	}
	h := hd.(*Handler)
	if h.cfg.Workdir != filepath.Join(root, "sh-1") || h.cfg.Timeout != 2*time.Second || h.cfg.MaxOutput != 100 {
		t.Fatalf("cfg %+v", h.cfg)
	}
	for _, bad := range []map[string]string{{"timeout": "x"}, {"max_output": "-"}, {"nope": "1"}, {"max_output": "0"}} {
		if _, err := f(agent.Spec{Name: "x", Options: bad}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
