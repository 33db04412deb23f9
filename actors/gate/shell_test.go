package gate

import (
	"slices"
	"strings"
	"testing"
)

func TestShellLimits(t *testing.T) {
	cfg := DefaultConfig().Shell
	cfg.MaxDepth = 2
	cfg.MaxCommandBytes = 64
	cases := []struct {
		cmd  string
		rule string // "" = no finding
	}{
		{"sh -c 'ls'", ""},
		{`sh -c "sh -c 'ls'"`, ""},
		{`sh -c "sh -c 'sh -c ls'"`, RuleShellTooDeep},
		{"echo " + strings.Repeat("a", 64), RuleShellTooLong},
		{"ls {1..5000} {1..5000}", RuleShellExpandError},
	}
	for _, c := range cases {
		got := ruleIDs(AnalyzeShell(c.cmd, cfg))
		if c.rule == "" && len(got) != 0 || c.rule != "" && !slices.Contains(got, c.rule) {
			t.Errorf("%q: got %v, want %q", c.cmd, got, c.rule)
		}
	}
}

func TestShellParseErrorsNeverAllowed(t *testing.T) {
	g := testGate(t)
	for _, c := range []string{"(", "'", "`", "$(", "if", "a |", "a &&", "case x in", "<<", "echo ${", "f() {"} {
		d := g.Check(bash(c), testNow)
		if d.Allowed() || d.Rule != RuleShellParseError {
			t.Errorf("%q: got %s %s", c, d.Verdict, d.Rule)
		}
	}
}

func TestClassifyPath(t *testing.T) {
	cases := []struct {
		p    string
		want pathClass
	}{
		{"/", pathRoot}, {"//", pathRoot}, {"/etc/..", pathRoot}, {"/*", pathRoot},
		{"~", pathHome}, {"~/", pathHome}, {"~/*", pathHome}, {"/root", pathHome}, {"/home/bob", pathHome}, {"~bob", pathHome},
		{"/etc", pathSystem}, {"/usr/lib/x", pathSystem}, {"/e?c", pathSystem}, {"/etc/*", pathSystem}, {"/home", pathSystem}, {"/tmp", pathSystem},
		{"/tmp/x", pathOther}, {"/var/tmp/x", pathOther}, {"build", pathOther}, {"*", pathOther}, {"~/src/x", pathOther}, {"/home/bob/x", pathOther},
	}
	for _, c := range cases {
		if got := classifyPath(c.p); got != c.want {
			t.Errorf("classifyPath(%q) = %d, want %d", c.p, got, c.want)
		}
	}
	for p, want := range map[string]bool{
		"~/.ssh/id_rsa": true, "~/.ssh/id_rsa.pub": false, "~/.ssh/known_hosts": false, "/etc/shadow": true,
		"../.aws/credentials": true, "/home/x/.config/gcloud/a": true, "~/.netrc": true, "/etc/passwd": false,
		"~/.docker/config.json": true, "~/.docker/daemon.json": false, "/etc/sh*": true, "~/.kube/config": true, "notes.txt": false,
	} {
		if got := isCredentialPath(p); got != want {
			t.Errorf("isCredentialPath(%q) = %v, want %v", p, got, want)
		}
	}
}
