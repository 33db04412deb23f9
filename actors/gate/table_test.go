package gate

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type tableCase struct {
	line int
	rule string // empty for the allow table
	cmd  string
}

// readTable reads testdata/name: "#" comments and blank lines are skipped;
// with rules, each line is RULE<TAB>COMMAND. A command starting with a
// double quote is a Go-quoted string.
func readTable(t testing.TB, name string, withRule bool) []tableCase {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tableCase
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := tableCase{line: n, cmd: line}
		if withRule {
			rule, cmd, ok := strings.Cut(line, "\t")
			if !ok {
				t.Fatalf("%s:%d: want RULE<TAB>COMMAND", name, n)
			}
			c.rule, c.cmd = rule, cmd
		}
		if strings.HasPrefix(c.cmd, `"`) {
			s, err := strconv.Unquote(c.cmd)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			c.cmd = s
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func testGate(t testing.TB) *Gate {
	t.Helper()
	g, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var testCtx = RequestContext{Requester: "node0", SessionID: "s-1"}

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func bash(cmd string) Request {
	return Request{Tool: ToolBash, Input: Input{Command: cmd}, Context: testCtx}
}

func ruleIDs(fs []Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestShellBlockTable(t *testing.T) {
	g := testGate(t)
	cases := readTable(t, "shell_block.txt", true)
	if len(cases) < 40 {
		t.Fatalf("block table has %d cases, want >= 40", len(cases))
	}
	known := RuleIDs()
	for _, c := range cases {
		if !slices.Contains(known, c.rule) {
			t.Errorf("line %d: unknown rule id %q", c.line, c.rule)
		}
		d := g.Check(bash(c.cmd), testNow)
		if d.Allowed() {
			t.Errorf("line %d: %q was allowed (score %.4f)", c.line, c.cmd, d.Score)
			continue
		}
		if got := ruleIDs(d.Findings); !slices.Contains(got, c.rule) {
			t.Errorf("line %d: %q blocked by %v, want %s among them", c.line, c.cmd, got, c.rule)
		}
		if d.Score >= d.Threshold || d.Rule == "" || !strings.Contains(d.Reason, d.Rule) {
			t.Errorf("line %d: inconsistent block decision %+v", c.line, d)
		}
	}
}

func TestShellAllowTable(t *testing.T) {
	g := testGate(t)
	cases := readTable(t, "shell_allow.txt", false)
	if len(cases) < 40 {
		t.Fatalf("allow table has %d cases, want >= 40", len(cases))
	}
	for _, c := range cases {
		d := g.Check(bash(c.cmd), testNow)
		if !d.Allowed() {
			t.Errorf("line %d: %q blocked: %s %v", c.line, c.cmd, d.Reason, ruleIDs(d.Findings))
			continue
		}
		if d.Rule != RuleAllow || d.Score < d.Threshold || d.Score > 1 {
			t.Errorf("line %d: inconsistent allow decision %+v", c.line, d)
		}
	}
}
