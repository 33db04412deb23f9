package gate

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Command tables for the shell analyser.

var shells = map[string]bool{
	"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true,
	"ash": true, "fish": true, "csh": true, "tcsh": true, "rbash": true,
}

// scriptInterps maps an interpreter to the short option letters that take
// inline code.
var scriptInterps = map[string]string{
	"python": "c", "python2": "c", "python3": "c", "pypy": "c", "pypy3": "c",
	"perl": "eE", "ruby": "e", "irb": "", "node": "ep", "nodejs": "ep", "deno": "",
	"bun": "e", "php": "r", "lua": "e", "luajit": "e", "tclsh": "", "wish": "",
	"Rscript": "e", "osascript": "e", "pwsh": "c", "powershell": "c", "jshell": "",
	"gjs": "c", "expect": "c",
}

func interpBase(base string) (string, bool) {
	if _, ok := scriptInterps[base]; ok {
		return base, true
	}
	// python3.12, perl5.36, ...
	for _, p := range []string{"python", "perl", "ruby", "node", "php", "lua", "pypy"} {
		if strings.HasPrefix(base, p) && len(base) > len(p) && strings.Trim(base[len(p):], "0123456789.") == "" {
			return p, true
		}
	}
	return base, false
}

// interpValueOpts are interpreter options whose value is the next argument.
var interpValueOpts = []string{"-W", "-X", "-I", "-r", "-M", "-Q", "--require", "-x", "--import", "-C"}

var privilegeCmds = map[string]bool{
	"sudo": true, "su": true, "doas": true, "pkexec": true, "runuser": true, "gosu": true,
	"setpriv": true, "chpasswd": true, "visudo": true, "newgrp": true, "sg": true,
	"setcap": true, "capsh": true, "sudoedit": true, "usermod": true, "useradd": true,
	"passwd": true, "chroot": true, "nsenter": true, "unshare": true,
}

var diskCmds = map[string]bool{
	"mke2fs": true, "mkswap": true, "wipefs": true, "fdisk": true, "sfdisk": true,
	"gdisk": true, "sgdisk": true, "cfdisk": true, "parted": true, "blkdiscard": true,
	"mkntfs": true, "mkdosfs": true, "newfs": true, "zpool": true, "lvremove": true,
	"vgremove": true, "pvremove": true, "cryptsetup": true, "hdparm": true,
}

var socketCmds = map[string]bool{
	"nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true, "cryptcat": true,
	"nc.traditional": true, "nc.openbsd": true, "pwncat": true, "sbd": true,
}

var downloaders = map[string]bool{
	"curl": true, "wget": true, "fetch": true, "aria2c": true, "http": true, "https": true,
	"lwp-download": true, "lwp-request": true, "xh": true,
}

var powerCmds = map[string]bool{"shutdown": true, "reboot": true, "halt": true, "poweroff": true, "kexec": true}

// destructiveCmds remove or overwrite their operands.
var destructiveCmds = map[string]bool{
	"rm": true, "rmdir": true, "unlink": true, "shred": true, "truncate": true,
	"srm": true, "wipe": true,
}

// wrapperValueOpts lists, per wrapper, the options that take a value.
var wrapperValueOpts = map[string][]string{
	"nice":    {"-n", "--adjustment"},
	"ionice":  {"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"},
	"timeout": {"-s", "-k", "--signal", "--kill-after"},
	"stdbuf":  {"-i", "-o", "-e", "--input", "--output", "--error"},
	"xargs":   {"-I", "-i", "-n", "-P", "-d", "-L", "-l", "-s", "-a", "-E", "-e", "--max-args", "--max-procs", "--delimiter", "--arg-file", "--replace", "--max-lines", "--max-chars", "--eof", "--process-slot-var"},
	"env":     {"-u", "-C", "--unset", "--chdir"},
	"exec":    {"-a"},
	"time":    {"-f", "-o", "--format", "--output"},
	"setsid":  {},
	"nohup":   {},
	"command": {},
	"builtin": {},
	"busybox": {},
}

// unwrapOnce returns the command a wrapper runs. ok is false when args[0]
// is not a wrapper. a may be nil (no findings are recorded then).
func unwrapOnce(args []arg, a *shellAnalyzer) (inner []arg, ok, viaXargs bool) {
	base := path.Base(args[0].val)
	valueOpts, isWrapper := wrapperValueOpts[base]
	if !isWrapper {
		return nil, false, false
	}
	i := 1
	for i < len(args) {
		v := args[i].val
		if v == "--" {
			i++
			break
		}
		if base == "env" && strings.Contains(v, "=") && !strings.HasPrefix(v, "-") {
			name, _, _ := strings.Cut(v, "=")
			if a != nil {
				a.assignName(name, nil)
			}
			i++
			continue
		}
		if base == "env" && (v == "-S" || strings.HasPrefix(v, "--split-string")) {
			// env -S splits a string into a command line: analyse it as code.
			if a != nil {
				a.add(RuleShellDynamicEval, "env -S runs a command line from a string")
			}
			return nil, true, false
		}
		if base == "timeout" && !strings.HasPrefix(v, "-") {
			i++ // the duration
			break
		}
		if base == "command" && (v == "-v" || v == "-V") {
			return nil, true, false // only looks the name up
		}
		if !strings.HasPrefix(v, "-") || v == "-" {
			break
		}
		if slices.Contains(valueOpts, v) {
			i += 2
			continue
		}
		i++
	}
	if i > len(args) {
		i = len(args)
	}
	inner = args[i:]
	if base == "xargs" && len(inner) == 0 {
		return nil, true, true // xargs echo
	}
	return inner, true, base == "xargs"
}

// describe says what a simple command does with its input, without
// recording findings.
func describe(args []arg) cmdInfo {
	viaXargs := false
	for range 32 {
		if len(args) == 0 {
			return cmdInfo{}
		}
		inner, ok, x := unwrapOnce(args, nil)
		if !ok {
			break
		}
		viaXargs = viaXargs || x
		args = inner
	}
	if len(args) == 0 {
		return cmdInfo{}
	}
	base := path.Base(args[0].val)
	var info cmdInfo
	switch {
	case shells[base]:
		sc := parseShellArgs(args)
		info.execStdin = sc.readsStdin || viaXargs
	case isInterp(base):
		ic := parseInterpArgs(args)
		info.execStdin = ic.readsStdin || viaXargs
	case base == "eval" || base == "source" || base == ".":
		info.execStdin = viaXargs || (base != "eval" && len(args) > 1 && (args[1].val == "/dev/stdin" || args[1].val == "-"))
	case downloaders[base]:
		info.downloader = true
	}
	info.decoder = isDecoder(base, args)
	return info
}

func isInterp(base string) bool {
	_, ok := interpBase(base)
	return ok
}

// shellCall is the parsed command line of sh, bash, ...
type shellCall struct {
	code       *arg // the -c string
	script     *arg // the script operand
	readsStdin bool
}

func parseShellArgs(args []arg) shellCall {
	var sc shellCall
	cflag, sflag := false, false
	i := 1
	for ; i < len(args); i++ {
		v := args[i].val
		if v == "--" || v == "-" {
			i++
			break
		}
		if strings.HasPrefix(v, "--") {
			if v == "--rcfile" || v == "--init-file" {
				i++
			}
			continue
		}
		if len(v) > 1 && (v[0] == '-' || v[0] == '+') {
			if v[0] == '-' && strings.ContainsRune(v[1:], 'c') {
				cflag = true
			}
			if v[0] == '-' && strings.ContainsRune(v[1:], 's') {
				sflag = true
			}
			if strings.ContainsAny(v[1:], "oO") {
				i++
			}
			continue
		}
		break
	}
	var ops []arg
	if i < len(args) {
		ops = args[i:]
	}
	switch {
	case cflag:
		if len(ops) > 0 {
			sc.code = &ops[0]
		}
	case sflag || len(ops) == 0:
		sc.readsStdin = true
	case ops[0].val == "/dev/stdin" || ops[0].val == "-":
		sc.readsStdin = true
	default:
		sc.script = &ops[0]
	}
	return sc
}

type interpCall struct {
	code       *arg
	inline     string // inline code when attached to its option
	hasInline  bool
	script     *arg
	module     bool
	readsStdin bool
	encoded    bool // pwsh -EncodedCommand
}

func parseInterpArgs(args []arg) interpCall {
	var ic interpCall
	base, _ := interpBase(path.Base(args[0].val))
	letters := scriptInterps[base]
	i := 1
	for ; i < len(args); i++ {
		v := args[i].val
		if v == "--" {
			i++
			break
		}
		if v == "-" || !strings.HasPrefix(v, "-") {
			break
		}
		lv := strings.ToLower(v)
		if base == "pwsh" || base == "powershell" {
			switch {
			case strings.HasPrefix(lv, "-e") && lv != "-executionpolicy" || strings.HasPrefix(lv, "-enc"):
				ic.encoded = true
				ic.hasInline = true
				return ic
			case lv == "-c" || strings.HasPrefix(lv, "-command"):
				ic.hasInline = true
				if i+1 < len(args) {
					ic.code = &args[i+1]
				}
				return ic
			}
			continue
		}
		if v == "--eval" || v == "--print" || v == "-e" && letters == "" {
			ic.hasInline = true
			if i+1 < len(args) {
				ic.code = &args[i+1]
			}
			return ic
		}
		if strings.HasPrefix(v, "--eval=") || strings.HasPrefix(v, "--print=") {
			_, c, _ := strings.Cut(v, "=")
			ic.hasInline, ic.inline = true, c
			return ic
		}
		if base == "python" && (v == "-m" || strings.HasPrefix(v, "-m")) {
			ic.module = true
			return ic
		}
		if slices.Contains(interpValueOpts, v) {
			i++
			continue
		}
		if strings.HasPrefix(v, "--") {
			continue
		}
		for j := 1; j < len(v); j++ {
			if strings.IndexByte(letters, v[j]) >= 0 {
				ic.hasInline = true
				if j+1 < len(v) {
					ic.inline = v[j+1:]
				} else if i+1 < len(args) {
					ic.code = &args[i+1]
				}
				return ic
			}
		}
	}
	if i >= len(args) || args[i].val == "-" || args[i].val == "/dev/stdin" {
		ic.readsStdin = true
		return ic
	}
	ic.script = &args[i]
	return ic
}

// isDecoder reports commands that decode, unescape or decompress data.
func isDecoder(base string, args []arg) bool {
	has := func(flags ...string) bool {
		for _, a := range args[1:] {
			if slices.Contains(flags, a.val) {
				return true
			}
		}
		return false
	}
	shortHas := func(c byte) bool {
		for _, a := range args[1:] {
			v := a.val
			if len(v) > 1 && v[0] == '-' && v[1] != '-' && strings.IndexByte(v, c) > 0 {
				return true
			}
		}
		return false
	}
	for _, a := range args {
		if hasANSIEscape(a.word) {
			return true
		}
	}
	switch base {
	case "base64", "base32", "basenc", "base58", "b64":
		return has("--decode") || shortHas('d') || shortHas('D')
	case "xxd":
		return shortHas('r') || has("--revert")
	case "openssl":
		return has("-d", "-base64", "-a", "-A")
	case "uudecode", "rev", "gunzip", "zcat", "bzcat", "xzcat", "unxz", "bunzip2", "zstdcat", "unzstd", "lz4cat", "unlzma", "uncompress":
		return true
	case "gzip", "xz", "bzip2", "zstd", "lz4", "lzma", "brotli":
		return has("--decompress", "--uncompress") || shortHas('d')
	case "printf":
		for _, a := range args[1:] {
			if strings.Contains(a.val, "%b") || hasEscape(a.val) {
				return true
			}
		}
	case "echo":
		if has("-e", "-en", "-ne", "-ee") {
			for _, a := range args[1:] {
				if strings.Contains(a.val, `\`) {
					return true
				}
			}
		}
	case "tr":
		return true
	}
	return false
}

// hasEscape reports printf-style byte escapes: \xHH, \0NNN, \NNN, \uHHHH.
func hasEscape(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		c := s[i+1]
		if c == 'x' || c == 'u' || c == 'U' || (c >= '0' && c <= '7') {
			return true
		}
		i++
	}
	return false
}

// inlineDanger lists what inline interpreter code may not contain: process
// execution, network access, decoding, and file removal primitives.
var inlineDanger = []string{
	"system(", "os.system", "subprocess", "popen", "exec(", "execv", "execl", "eval(",
	"spawn", "child_process", "shell_exec", "passthru", "proc_open", "__import__",
	"importlib", "socket", "urllib", "requests.", "http.client", "net/http", "fetch(",
	"b64decode", "base64", "rmtree", "unlink", "os.remove", "fs.rm", "setuid", "ctypes",
	"pty.", "`", "qx(", "qx{", "io.popen", "os.execute", "do shell script", "runtime.exec",
	"/etc/shadow", ".ssh", "open3", "kernel.exec", "%x", "invoke-expression", "iex ",
	"downloadstring", "start-process", "/dev/tcp",
}

func dangerousCode(code string) (string, bool) {
	lc := strings.ToLower(code)
	for _, d := range inlineDanger {
		if strings.Contains(lc, d) {
			return d, true
		}
	}
	return "", false
}

// genericArgs checks every field of a command for credential paths and
// /dev/tcp, including paths embedded as @file, file://, key=value and
// --opt=value.
func (a *shellAnalyzer) genericArgs(args []arg) {
	for _, ar := range args {
		for _, c := range pathCandidates(ar.val) {
			if isCredentialPath(c) {
				a.add(RuleShellCredential, "accesses "+c)
			}
			if isDevNet(c) {
				a.add(RuleShellDevTCP, "uses "+c)
			}
		}
	}
}

func pathCandidates(v string) []string {
	out := []string{v}
	if s, ok := strings.CutPrefix(v, "@"); ok {
		out = append(out, s)
	}
	if s, ok := strings.CutPrefix(v, "file://"); ok {
		out = append(out, s)
	}
	if _, s, ok := strings.Cut(v, "="); ok {
		out = append(out, s, strings.TrimPrefix(s, "@"))
	}
	if _, s, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(s, "/") {
		out = append(out, s) // docker -v /etc/shadow:/x, host:/path
	}
	return out
}

// nested analyses code passed as a string, if it is a static literal.
func (a *shellAnalyzer) nested(code arg, what string, depth int) {
	if !code.static {
		a.add(RuleShellDynamicEval, what+" runs non-literal code "+printWord(code.word))
		a.producersBlock(code.word, what)
		return
	}
	a.source(code.val, depth+1)
}

// stdinPrograms analyses here-documents and here-strings fed to a command
// that runs its standard input as code.
func (a *shellAnalyzer) stdinPrograms(st *syntax.Stmt, shell bool, depth int) {
	if st == nil {
		return
	}
	for _, r := range st.Redirs {
		var w = r.Word
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			w = r.Hdoc
		case syntax.WordHdoc:
		case syntax.RdrIn:
			if hasProcSubst(r.Word) {
				a.add(RuleShellProcSubstExec, "interpreter reads its program from a process substitution")
				a.producersBlock(r.Word, "process substitution")
			}
			continue
		default:
			continue
		}
		if w == nil {
			continue
		}
		code := arg{word: w, static: staticWord(w)}
		if code.static {
			v, err := expand.Document(a.ecfg, w)
			if err != nil {
				a.add(RuleShellExpandError, err.Error())
				continue
			}
			code.val = v
		}
		if shell {
			a.nested(code, "here-document", depth)
			continue
		}
		a.inlineCode(code, "here-document")
	}
}

// inlineCode checks code given to a non-shell interpreter.
func (a *shellAnalyzer) inlineCode(code arg, what string) {
	if !code.static {
		a.add(RuleShellDynamicEval, what+" runs non-literal code "+printWord(code.word))
		a.producersBlock(code.word, what)
		return
	}
	if d, bad := dangerousCode(code.val); bad {
		a.add(RuleShellInlineCodeExec, fmt.Sprintf("%s contains %q", what, d))
	}
}
