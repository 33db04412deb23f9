package gate

import (
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// The shell analyser parses a Bash command with mvdan.cc/sh/v3 and judges
// the syntax tree, not the text:
//
//   - a parse error blocks (fail closed);
//   - every simple command anywhere in the tree is checked: in pipelines,
//     lists, subshells, blocks, functions, loops, command and process
//     substitutions, parameter expansions;
//   - code handed to another shell as a string (sh -c, bash -c, eval,
//     alias, trap, watch, here-documents and here-strings fed to a shell)
//     is re-parsed and analysed the same way when it is a static literal,
//     and blocked when it is not (shell.dynamic-eval);
//   - a command name must be a static literal (quotes and escapes are
//     removed, so r''m and \rm are rm; $x, $(...) and `...` are not);
//   - arguments are expanded without running anything: HOME is "~",
//     every other variable is empty, command substitutions expand to
//     nothing and globbing is off, so rm -rf "$X"/ is judged as rm -rf /.
//
// Wrappers (command, builtin, exec, env, nice, nohup, timeout, stdbuf,
// setsid, ionice, time, xargs) are looked through to the command they run.

// arg is one expanded field and the word it came from.
type arg struct {
	val    string
	static bool
	word   *syntax.Word
}

// cmdInfo describes what a simple command does with data flowing through it.
type cmdInfo struct {
	execStdin  bool // runs code read from standard input
	decoder    bool // decodes or decompresses data
	downloader bool // fetches data from the network
}

func (c cmdInfo) or(o cmdInfo) cmdInfo {
	return cmdInfo{c.execStdin || o.execStdin, c.decoder || o.decoder, c.downloader || o.downloader}
}

type shellAnalyzer struct {
	cfg      ShellConfig
	ecfg     *expand.Config
	findings []Finding
	seen     map[string]struct{}
	pipes    [][]*syntax.Stmt
	inPipe   map[*syntax.BinaryCmd]struct{}
	web      *webPolicy // URL policy for curl/wget operands; nil skips it
	// cwdProtected is set once the command changes directory to a protected
	// path; relative operands of destructive commands are then protected.
	cwdProtected bool
}

// AnalyzeShell returns the findings for a Bash command line under cfg. An
// empty result means no rule fired.
func AnalyzeShell(command string, cfg ShellConfig) []Finding {
	return analyzeShell(command, cfg, nil)
}

func analyzeShell(src string, cfg ShellConfig, web *webPolicy) []Finding {
	a := &shellAnalyzer{
		web:    web,
		cfg:    cfg,
		seen:   map[string]struct{}{},
		inPipe: map[*syntax.BinaryCmd]struct{}{},
	}
	a.ecfg = &expand.Config{
		Env:       expand.FuncEnviron(shellEnv),
		CmdSubst:  func(io.Writer, *syntax.CmdSubst) error { return nil },
		ProcSubst: func(*syntax.ProcSubst) (string, error) { return "/dev/fd/63", nil },
	}
	if strings.TrimSpace(src) == "" {
		a.add(RuleShellEmpty, "empty command")
		return a.findings
	}
	a.source(src, 0)
	for _, p := range a.pipes {
		a.pipeline(p)
	}
	return a.findings
}

// shellEnv is the environment used for expansion: HOME is "~" so home
// paths normalise to ~/..., ~user is /home/user (/root for root), and every
// other variable is unset. It never consults the real environment or the
// user database.
func shellEnv(name string) string {
	switch {
	case name == "HOME":
		return "~"
	case strings.HasPrefix(name, "HOME "):
		u := name[len("HOME "):]
		if u == "root" {
			return "/root"
		}
		return "/home/" + u
	}
	return ""
}

func (a *shellAnalyzer) add(rule, detail string) {
	key := rule + "\x00" + detail
	if _, dup := a.seen[key]; dup {
		return
	}
	a.seen[key] = struct{}{}
	a.findings = append(a.findings, newFinding(rule, detail))
}

func newShellParser() *syntax.Parser {
	return syntax.NewParser(syntax.Variant(syntax.LangBash))
}

// source parses and analyses src at nesting depth.
func (a *shellAnalyzer) source(src string, depth int) {
	if depth > a.cfg.MaxDepth {
		a.add(RuleShellTooDeep, fmt.Sprintf("nested shell code deeper than %d levels", a.cfg.MaxDepth))
		return
	}
	if len(src) > a.cfg.MaxCommandBytes {
		a.add(RuleShellTooLong, fmt.Sprintf("%d bytes > limit %d", len(src), a.cfg.MaxCommandBytes))
		return
	}
	if !utf8.ValidString(src) {
		a.add(RuleShellInvisibleChar, "invalid UTF-8")
		return
	}
	for _, r := range src {
		if invisibleRune(r) {
			a.add(RuleShellInvisibleChar, fmt.Sprintf("invisible or control character U+%04X", r))
			break
		}
	}
	f, err := newShellParser().Parse(strings.NewReader(src), "")
	if err != nil {
		a.add(RuleShellParseError, err.Error())
		return
	}
	a.walk(f, depth)
}

// invisibleRune reports characters that change how text reads without
// showing: controls other than tab/newline/CR, zero-width characters, bidi
// controls, and the byte-order mark.
func invisibleRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e,
		r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x2069,
		r == 0xfeff, r == 0x00ad, r == 0x180e:
		return true
	}
	return false
}

func (a *shellAnalyzer) walk(node syntax.Node, depth int) {
	syntax.Walk(node, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Stmt:
			a.redirects(n)
			if ce, ok := n.Cmd.(*syntax.CallExpr); ok {
				a.call(ce, n, depth)
			}
		case *syntax.BinaryCmd:
			if isPipe(n) {
				if _, done := a.inPipe[n]; !done {
					a.pipes = append(a.pipes, a.flatten(n, nil))
				}
			}
		case *syntax.FuncDecl:
			a.funcDecl(n)
		case *syntax.Assign:
			if n.Name != nil {
				a.assignName(n.Name.Value, n.Value)
			}
		}
		return true
	})
}

func isPipe(b *syntax.BinaryCmd) bool { return b.Op == syntax.Pipe || b.Op == syntax.PipeAll }

// flatten returns the stages of a pipeline, marking nested pipe nodes so
// they are not analysed twice.
func (a *shellAnalyzer) flatten(b *syntax.BinaryCmd, out []*syntax.Stmt) []*syntax.Stmt {
	a.inPipe[b] = struct{}{}
	for _, s := range []*syntax.Stmt{b.X, b.Y} {
		if inner, ok := s.Cmd.(*syntax.BinaryCmd); ok && isPipe(inner) && len(s.Redirs) == 0 && !s.Background {
			out = a.flatten(inner, out)
			continue
		}
		out = append(out, s)
	}
	return out
}

// pipeline blocks stages that run code read from standard input when an
// earlier stage feeds them.
func (a *shellAnalyzer) pipeline(stages []*syntax.Stmt) {
	var up cmdInfo
	for i, st := range stages {
		cur := a.stageInfo(st)
		if i > 0 && cur.execStdin {
			switch {
			case up.decoder:
				a.add(RuleShellDecodeExec, "decoded data piped into an interpreter")
			case up.downloader:
				a.add(RuleShellDownloadExec, "downloaded data piped into an interpreter")
			}
			a.add(RuleShellPipeInterp, "pipeline stage "+fmt.Sprint(i+1)+" runs code from standard input")
		}
		up = up.or(cur)
	}
}

// stageInfo combines cmdInfo over the simple commands of a statement,
// without entering command or process substitutions.
func (a *shellAnalyzer) stageInfo(st syntax.Node) cmdInfo {
	var info cmdInfo
	syntax.Walk(st, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst:
			return false
		case *syntax.CallExpr:
			if len(n.Args) == 0 || !staticWord(n.Args[0]) {
				return true
			}
			args, err := a.expandArgs(n)
			if err != nil {
				return true
			}
			info = info.or(describe(args))
		}
		return true
	})
	return info
}

// wordProducers combines cmdInfo over the commands inside the command and
// process substitutions of w.
func (a *shellAnalyzer) wordProducers(w *syntax.Word) cmdInfo {
	var info cmdInfo
	if w == nil {
		return info
	}
	syntax.Walk(w, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CmdSubst:
			for _, s := range n.Stmts {
				info = info.or(a.stageInfo(s))
			}
		case *syntax.ProcSubst:
			for _, s := range n.Stmts {
				info = info.or(a.stageInfo(s))
			}
		}
		return true
	})
	return info
}

// producersBlock adds decode-exec / download-exec when code about to be
// executed comes from a decoder or a download.
func (a *shellAnalyzer) producersBlock(w *syntax.Word, what string) {
	p := a.wordProducers(w)
	if p.decoder {
		a.add(RuleShellDecodeExec, "decoded data executed via "+what)
	}
	if p.downloader {
		a.add(RuleShellDownloadExec, "downloaded data executed via "+what)
	}
}

func hasProcSubst(w *syntax.Word) bool {
	found := false
	if w == nil {
		return false
	}
	syntax.Walk(w, func(n syntax.Node) bool {
		if _, ok := n.(*syntax.ProcSubst); ok {
			found = true
		}
		return !found
	})
	return found
}

// staticWord reports whether w is a literal after quote removal: plain
// literals, single quotes, double quotes holding only literals, and $'...'
// without escapes.
func staticWord(w *syntax.Word) bool {
	if w == nil {
		return false
	}
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
		case *syntax.SglQuoted:
			if p.Dollar && strings.Contains(p.Value, `\`) {
				return false
			}
		case *syntax.DblQuoted:
			if p.Dollar {
				return false
			}
			for _, q := range p.Parts {
				if _, ok := q.(*syntax.Lit); !ok {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// hasANSIEscape reports a $'...' part with backslash escapes.
func hasANSIEscape(w *syntax.Word) bool {
	if w == nil {
		return false
	}
	for _, p := range w.Parts {
		if q, ok := p.(*syntax.SglQuoted); ok && q.Dollar && strings.Contains(q.Value, `\`) {
			return true
		}
	}
	return false
}

func printWord(w *syntax.Word) string {
	var sb strings.Builder
	if err := syntax.NewPrinter().Print(&sb, w); err != nil {
		return "?"
	}
	return sb.String()
}

// maxFields bounds the fields one simple command may expand to.
const maxFields = 4096

// expandArgs expands every word of a call, keeping which word each field
// came from.
func (a *shellAnalyzer) expandArgs(ce *syntax.CallExpr) ([]arg, error) {
	args := make([]arg, 0, len(ce.Args))
	for _, w := range ce.Args {
		fields, err := expand.Fields(a.ecfg, w)
		if err != nil {
			return nil, err
		}
		if len(args)+len(fields) > maxFields {
			return nil, fmt.Errorf("command expands to more than %d fields", maxFields)
		}
		st := staticWord(w)
		for _, f := range fields {
			args = append(args, arg{val: f, static: st, word: w})
		}
	}
	return args, nil
}

// call analyses one simple command.
func (a *shellAnalyzer) call(ce *syntax.CallExpr, st *syntax.Stmt, depth int) {
	if len(ce.Args) == 0 {
		return
	}
	if name := ce.Args[0]; !staticWord(name) {
		a.add(RuleShellDynamicCommand, "command name "+printWord(name)+" is not a static literal")
		a.producersBlock(name, "the command name")
		return
	}
	args, err := a.expandArgs(ce)
	if err != nil {
		a.add(RuleShellExpandError, err.Error())
		return
	}
	if len(args) == 0 {
		return
	}
	a.genericArgs(args)
	viaXargs := false
	for range 32 {
		if len(args) == 0 {
			return
		}
		if r, ok := badNameRune(args[0].val); ok {
			a.add(RuleShellUnicodeName, fmt.Sprintf("command name %q contains U+%04X", args[0].val, r))
			return
		}
		inner, ok, xargs := unwrapOnce(args, a)
		if !ok {
			break
		}
		viaXargs = viaXargs || xargs
		args = inner
	}
	if len(args) == 0 {
		return
	}
	a.command(args, st, depth, viaXargs)
}

// badNameRune returns the first rune of a command name outside printable
// ASCII: look-alike letters, non-breaking and other Unicode spaces.
func badNameRune(name string) (rune, bool) {
	for _, r := range name {
		if r <= 0x20 || r >= 0x7f {
			return r, true
		}
	}
	return 0, false
}

// redirects checks the redirections of a statement.
func (a *shellAnalyzer) redirects(st *syntax.Stmt) {
	for _, r := range st.Redirs {
		if r.Word == nil {
			continue
		}
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc, syntax.WordHdoc:
			continue
		}
		target, err := expand.Literal(a.ecfg, r.Word)
		if err != nil {
			a.add(RuleShellExpandError, err.Error())
			continue
		}
		if isDevNet(target) {
			a.add(RuleShellDevTCP, "redirection to "+target)
			continue
		}
		switch r.Op {
		case syntax.RdrIn, syntax.DplIn:
			if isCredentialPath(target) {
				a.add(RuleShellCredential, "reads "+target)
			}
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.AppClob, syntax.RdrAll,
			syntax.AppAll, syntax.RdrAllClob, syntax.AppAllClob, syntax.RdrInOut, syntax.DplOut:
			if r.Op == syntax.DplOut && (target == "-" || isDigits(target)) {
				continue
			}
			a.writeTarget(target, "redirection")
			if r.Op == syntax.RdrInOut && isCredentialPath(target) {
				a.add(RuleShellCredential, "opens "+target)
			}
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// writeTarget checks a path that is about to be written.
func (a *shellAnalyzer) writeTarget(p, via string) {
	switch {
	case isDevNet(p):
		a.add(RuleShellDevTCP, via+" to "+p)
	case safeDevice(path.Clean(p)):
	case strings.HasPrefix(path.Clean(p), "/dev/"):
		a.add(RuleShellDeviceWrite, via+" writes device "+p)
	case classifyPath(p) >= pathHome:
		a.add(RuleShellSystemWrite, via+" writes "+p)
	case isCredentialPath(p):
		a.add(RuleShellCredential, via+" writes "+p)
	case isPersistencePath(p):
		a.add(RuleShellSystemWrite, via+" writes start-up file "+p)
	}
}

// funcDecl blocks fork bombs: a function that calls itself where the call
// is backgrounded or part of a pipeline.
func (a *shellAnalyzer) funcDecl(fd *syntax.FuncDecl) {
	if fd.Name == nil || fd.Body == nil {
		return
	}
	name := fd.Name.Value
	selfCall, spawn := false, false
	syntax.Walk(fd.Body, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Stmt:
			if n.Background || n.Coprocess {
				spawn = true
			}
		case *syntax.BinaryCmd:
			if isPipe(n) {
				spawn = true
			}
		case *syntax.CallExpr:
			if len(n.Args) > 0 && staticWord(n.Args[0]) {
				if v, err := expand.Literal(nil, n.Args[0]); err == nil && v == name {
					selfCall = true
				}
			}
		}
		return true
	})
	if selfCall && spawn {
		a.add(RuleShellForkBomb, fmt.Sprintf("function %q spawns copies of itself", name))
	}
}

var hijackVars = map[string]bool{
	"LD_PRELOAD": true, "LD_AUDIT": true, "LD_LIBRARY_PATH": true,
	"DYLD_INSERT_LIBRARIES": true, "DYLD_LIBRARY_PATH": true,
	"BASH_ENV": true, "ENV": true, "PROMPT_COMMAND": true, "PS4": true,
	"SHELLOPTS": true, "BASHOPTS": true,
}

var historyVars = map[string]bool{"HISTFILE": true, "HISTSIZE": true, "HISTFILESIZE": true, "HISTCONTROL": true, "HISTIGNORE": true}

// assignName checks a variable assignment.
func (a *shellAnalyzer) assignName(name string, _ *syntax.Word) {
	switch {
	case hijackVars[name] || strings.HasPrefix(name, "BASH_FUNC_"):
		a.add(RuleShellEnvHijack, "sets "+name)
	case historyVars[name]:
		a.add(RuleShellHistoryTamper, "sets "+name)
	}
}
