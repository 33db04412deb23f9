package gate

import (
	"strings"
	"testing"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// FuzzShell checks that the shell analyser never panics and never allows a
// command that does not parse. Seeds: both tables plus
// testdata/fuzz/FuzzShell.
func FuzzShell(f *testing.F) {
	for _, c := range readTable(f, "shell_block.txt", true) {
		f.Add(c.cmd)
	}
	for _, c := range readTable(f, "shell_allow.txt", false) {
		f.Add(c.cmd)
	}
	g, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		d := g.Check(bash(cmd), testNow)
		if d.Score < 0 || d.Score > 1 || d.Allowed() != (d.Score >= d.Threshold) {
			t.Fatalf("%q: inconsistent decision %+v", cmd, d)
		}
		if !d.Allowed() {
			return
		}
		if _, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(cmd), ""); err != nil {
			t.Fatalf("%q failed to parse (%v) but was allowed", cmd, err)
		}
		if !utf8.ValidString(cmd) || strings.TrimSpace(cmd) == "" {
			t.Fatalf("%q allowed", cmd)
		}
	})
}
