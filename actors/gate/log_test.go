package gate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: bad JSON line %q: %v", path, sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogDecisionFields(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "fate_gate.jsonl")
	l, err := OpenLog(LogConfig{Path: path, MaxBytes: 1 << 20, MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	g := testGate(t)
	ts := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.FixedZone("X", 3600))
	for _, c := range []string{"ls", "rm -rf /"} {
		if err := l.LogDecision(g.Check(bash(c), ts)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, want := range []struct{ level, rule, verdict string }{
		{LevelInfo, RuleAllow, "ALLOW"}, {LevelWarn, RuleShellDestructive, "BLOCK"},
	} {
		m := lines[i]
		for _, k := range []string{"timestamp", "level", "component", "message", "context"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d: missing %s", i, k)
			}
		}
		tsv, _ := m["timestamp"].(string)
		if got, err := time.Parse(time.RFC3339Nano, tsv); err != nil || !got.Equal(ts) || tsv[len(tsv)-1] != 'Z' {
			t.Errorf("line %d: timestamp %q", i, tsv)
		}
		ctx, _ := m["context"].(map[string]any)
		if m["level"] != want.level || m["component"] != LogComponent || ctx["rule"] != want.rule || ctx["verdict"] != want.verdict || ctx["session_id"] != "s-1" {
			t.Errorf("line %d: %v", i, m)
		}
	}
}

func TestLogRotationAndClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.jsonl")
	const maxBytes = 400
	l, err := OpenLog(LogConfig{Path: path, MaxBytes: maxBytes, MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := LogEntry{Timestamp: testNow, Level: LevelInfo, Component: "test", Message: fmt.Sprintf("w%d-%d", w, i)}
				if err := l.Write(e); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.Write(LogEntry{}); !errors.Is(err, ErrLogClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	total := 0
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if st.Size() > maxBytes {
			t.Errorf("%s: %d bytes > %d", p, st.Size(), maxBytes)
		}
		total += len(readLines(t, p))
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("kept more than MaxFiles rotated files: %v", err)
	}
	if total == 0 || total >= writers*each {
		t.Errorf("kept %d of %d records; rotation should have dropped some", total, writers*each)
	}
	// Reopening appends to the existing file.
	before := len(readLines(t, path))
	l2, err := OpenLog(LogConfig{Path: path, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Write(LogEntry{Timestamp: testNow, Level: LevelInfo, Component: "test", Message: "again"}); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	if after := len(readLines(t, path)); after != before+1 {
		t.Errorf("reopen: %d lines, want %d", after, before+1)
	}
}

func TestLogConfigValidate(t *testing.T) {
	for field, c := range map[string]LogConfig{
		"Path":     {MaxBytes: 1},
		"MaxBytes": {Path: "x", MaxBytes: 0},
		"MaxFiles": {Path: "x", MaxBytes: 1, MaxFiles: -1},
	} {
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
		if _, err := OpenLog(c); err == nil {
			t.Errorf("%s: OpenLog accepted invalid config", field)
		}
	}
}
