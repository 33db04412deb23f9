package gate

import (
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// command applies the per-command rules to an unwrapped argv.
func (a *shellAnalyzer) command(args []arg, st *syntax.Stmt, depth int, viaXargs bool) {
	name := args[0].val
	base := path.Base(name)
	ops := args[1:]

	switch {
	case shells[base]:
		a.shellCmd(args, st, depth, viaXargs)
		return
	case isInterp(base):
		a.interpCmd(args, st)
		return
	case privilegeCmds[base]:
		a.add(RuleShellPrivilege, base+" changes privileges")
		return
	case strings.HasPrefix(base, "mkfs") || diskCmds[base]:
		a.add(RuleShellDiskFormat, base+" formats or rewrites a disk")
		return
	case socketCmds[base]:
		a.add(RuleShellNetSocket, base+" opens a raw network connection")
		return
	case powerCmds[base]:
		a.add(RuleShellSystemPower, base+" stops the machine")
		return
	case destructiveCmds[base]:
		a.removeCmd(base, ops)
		return
	}

	switch base {
	case "eval":
		if len(ops) == 0 {
			return
		}
		if viaXargs {
			a.add(RuleShellDynamicEval, "xargs feeds eval")
			return
		}
		code := arg{static: true}
		vals := make([]string, 0, len(ops))
		for _, o := range ops {
			if !o.static {
				a.nested(o, "eval", depth)
				return
			}
			vals = append(vals, o.val)
		}
		code.val = strings.Join(vals, " ")
		a.nested(code, "eval", depth)
	case "source", ".":
		if len(ops) > 0 && hasProcSubst(ops[0].word) {
			a.add(RuleShellProcSubstExec, base+" runs a process substitution")
			a.producersBlock(ops[0].word, base)
		}
		if len(ops) > 0 && !ops[0].static {
			a.add(RuleShellDynamicEval, base+" of a non-literal path "+printWord(ops[0].word))
		}
	case "alias":
		for _, o := range ops {
			if _, v, ok := strings.Cut(o.val, "="); ok {
				a.nested(arg{val: v, static: o.static, word: o.word}, "alias", depth)
			}
		}
	case "trap":
		if len(ops) > 0 && !strings.HasPrefix(ops[0].val, "-") {
			a.nested(ops[0], "trap", depth)
		}
	case "watch":
		var parts []string
		i := 0
		for i < len(ops) && strings.HasPrefix(ops[i].val, "-") {
			if ops[i].val == "-n" || ops[i].val == "--interval" {
				i++ // the interval
			}
			i++
		}
		static := true
		for _, o := range ops[min(i, len(ops)):] {
			parts = append(parts, o.val)
			static = static && o.static
		}
		if len(parts) > 0 {
			var w *syntax.Word
			if i < len(ops) {
				w = ops[i].word
			}
			a.nested(arg{val: strings.Join(parts, " "), static: static, word: w}, "watch", depth)
		}
	case "chmod":
		a.chmodCmd(ops)
	case "chown", "chgrp", "chattr", "setfacl", "chcon":
		a.ownerCmd(base, ops)
	case "mv":
		for _, p := range operands(ops, nil) {
			if c := classifyPath(p); c >= pathHome {
				a.add(RuleShellDestructive, "mv moves protected path "+p)
			}
		}
	case "cp", "install", "ln", "rsync", "tee", "touch", "mkdir", "patch", "sed", "tar", "unzip", "git":
		a.copyCmd(base, ops)
	case "dd":
		for _, o := range ops {
			if of, ok := strings.CutPrefix(o.val, "of="); ok {
				a.writeTarget(of, "dd")
			}
		}
	case "curl":
		a.curlCmd(ops)
	case "wget":
		a.wgetCmd(ops)
	case "scp", "sftp", "ftp", "tftp", "rcp", "lftp":
		a.remoteCmd(base, ops)
	case "init", "telinit":
		for _, o := range ops {
			if o.val == "0" || o.val == "6" {
				a.add(RuleShellSystemPower, base+" "+o.val+" stops the machine")
			}
		}
	case "systemctl", "loginctl":
		for _, o := range ops {
			switch o.val {
			case "poweroff", "reboot", "halt", "kexec", "emergency", "rescue", "suspend", "hibernate":
				a.add(RuleShellSystemPower, base+" "+o.val+" stops the machine")
			}
		}
	case "kill", "pkill":
		for i, o := range ops {
			if o.val == "-1" && (i > 0 || len(ops) == 1 && base == "pkill") {
				a.add(RuleShellKillAll, base+" targets every process")
			}
		}
	case "killall5":
		a.add(RuleShellKillAll, "killall5 signals every process")
	case "history":
		for _, o := range ops {
			if strings.HasPrefix(o.val, "-") && strings.ContainsAny(o.val, "cdw") {
				a.add(RuleShellHistoryTamper, "history "+o.val)
			}
		}
	case "unset", "export", "declare", "typeset", "local", "readonly":
		for _, o := range ops {
			n, _, _ := strings.Cut(o.val, "=")
			if base == "unset" || strings.Contains(o.val, "=") {
				a.assignName(n, nil)
			}
		}
	case "set":
		for i, o := range ops {
			if o.val == "+o" && i+1 < len(ops) && ops[i+1].val == "history" {
				a.add(RuleShellHistoryTamper, "set +o history")
			}
		}
	case "find":
		a.findCmd(ops, depth)
	case "cd", "pushd":
		ps := operands(ops, nil)
		if len(ps) == 0 || classifyPath(ps[0]) >= pathHome {
			a.cwdProtected = true
		}
	case "docker", "podman", "nerdctl":
		a.containerCmd(base, ops)
	case "awk", "gawk", "mawk", "nawk", "busybox-awk":
		a.awkCmd(ops)
	case "crontab":
		for _, o := range ops {
			if o.val == "-r" {
				a.add(RuleShellDestructive, "crontab -r removes every cron job")
			}
		}
	}
	if downloaders[base] {
		if base != "curl" && base != "wget" {
			a.add(RuleShellNetFetch, base+" downloads")
		}
		a.urls(ops)
	}
}

// urls applies the WebFetch address policy to URL operands of downloaders.
func (a *shellAnalyzer) urls(ops []arg) {
	if a.web == nil {
		return
	}
	for _, o := range ops {
		v := o.val
		if _, after, ok := strings.Cut(v, "="); ok && strings.HasPrefix(v, "--") {
			v = after
		}
		if !strings.Contains(v, "://") {
			continue
		}
		for _, f := range a.web.check(v) {
			if f.Rule != RuleURLScheme {
				a.add(f.Rule, "fetches "+v+": "+f.Detail)
			}
		}
	}
}

// containerCmd blocks containers that get the host's privileges.
func (a *shellAnalyzer) containerCmd(base string, ops []arg) {
	for i, o := range ops {
		v := o.val
		switch {
		case v == "--privileged", v == "--pid=host", v == "--userns=host", v == "--ipc=host",
			strings.HasPrefix(v, "--cap-add") && (strings.Contains(strings.ToUpper(v), "ALL") || strings.Contains(strings.ToUpper(v), "SYS_ADMIN")):
			a.add(RuleShellPrivilege, base+" "+v+" gives the container host privileges")
		case v == "-v" || v == "--volume" || v == "--mount":
			if i+1 < len(ops) {
				a.mount(base, ops[i+1].val)
			}
		case strings.HasPrefix(v, "--volume=") || strings.HasPrefix(v, "--mount="):
			_, m, _ := strings.Cut(v, "=")
			a.mount(base, m)
		}
	}
}

func (a *shellAnalyzer) mount(base, spec string) {
	src, _, _ := strings.Cut(spec, ":")
	for _, kv := range strings.Split(spec, ",") {
		if s, ok := strings.CutPrefix(kv, "source="); ok {
			src = s
		}
		if s, ok := strings.CutPrefix(kv, "src="); ok {
			src = s
		}
	}
	if classifyPath(src) >= pathHome || strings.HasSuffix(src, "docker.sock") || isCredentialPath(src) {
		a.add(RuleShellPrivilege, base+" mounts host path "+src)
	}
}

// operands returns the non-option fields (after "--" everything counts);
// valueOpts consume the following field.
func operands(ops []arg, valueOpts []string) []string {
	var out []string
	end := false
	for i := 0; i < len(ops); i++ {
		v := ops[i].val
		switch {
		case end:
			out = append(out, v)
		case v == "--":
			end = true
		case len(v) > 1 && v[0] == '-':
			for _, vo := range valueOpts {
				if v == vo {
					i++
				}
			}
		default:
			out = append(out, v)
		}
	}
	return out
}

func (a *shellAnalyzer) shellCmd(args []arg, st *syntax.Stmt, depth int, viaXargs bool) {
	base := path.Base(args[0].val)
	sc := parseShellArgs(args)
	switch {
	case sc.code != nil:
		if viaXargs && strings.Contains(sc.code.val, "{}") {
			a.add(RuleShellDynamicEval, "xargs substitutes input into "+base+" -c")
		}
		a.nested(*sc.code, base+" -c", depth)
	case sc.script != nil:
		if hasProcSubst(sc.script.word) {
			a.add(RuleShellProcSubstExec, base+" runs a process substitution")
			a.producersBlock(sc.script.word, base)
		}
	case sc.readsStdin:
		a.stdinPrograms(st, true, depth)
	}
}

func (a *shellAnalyzer) interpCmd(args []arg, st *syntax.Stmt) {
	base := path.Base(args[0].val)
	ic := parseInterpArgs(args)
	switch {
	case ic.encoded:
		a.add(RuleShellDecodeExec, base+" runs an encoded command")
	case ic.code != nil:
		a.inlineCode(*ic.code, base+" inline code")
	case ic.hasInline:
		a.inlineCode(arg{val: ic.inline, static: args[0].static}, base+" inline code")
	case ic.script != nil:
		if hasProcSubst(ic.script.word) {
			a.add(RuleShellProcSubstExec, base+" runs a process substitution")
			a.producersBlock(ic.script.word, base)
		}
	case ic.readsStdin:
		a.stdinPrograms(st, false, 0)
	}
}

// removeCmd handles rm and friends.
func (a *shellAnalyzer) removeCmd(base string, ops []arg) {
	for _, o := range ops {
		if o.val == "--no-preserve-root" {
			a.add(RuleShellNoPreserveRoot, base+" --no-preserve-root")
		}
	}
	valueOpts := []string{}
	if base == "truncate" {
		valueOpts = []string{"-s", "-r", "--size", "--reference"}
	}
	if base == "shred" {
		valueOpts = []string{"-n", "-s", "--iterations", "--size"}
	}
	for _, p := range operands(ops, valueOpts) {
		cp := path.Clean(p)
		switch {
		case strings.HasPrefix(cp, "/dev/") && !safeDevice(cp):
			a.add(RuleShellDeviceWrite, base+" on device "+p)
		case classifyPath(p) >= pathHome:
			a.add(RuleShellDestructive, fmt.Sprintf("%s on protected path %s", base, p))
		case a.cwdProtected && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~"):
			a.add(RuleShellDestructive, fmt.Sprintf("%s on %s after cd to a protected directory", base, p))
		}
	}
}

func isSetuidMode(m string) bool {
	if isDigits(m) && len(m) == 4 {
		return m[0] == '2' || m[0] == '4' || m[0] == '6' || m[0] == '3' || m[0] == '5' || m[0] == '7'
	}
	for _, clause := range strings.Split(m, ",") {
		i := strings.IndexAny(clause, "+=")
		if i >= 0 && strings.ContainsRune(clause[i:], 's') {
			return true
		}
	}
	return false
}

func (a *shellAnalyzer) chmodCmd(ops []arg) {
	var rest []string
	ref := false
	for _, o := range ops {
		if strings.HasPrefix(o.val, "--reference") {
			ref = true
		}
	}
	all := operands(ops, nil)
	// A symbolic mode like -w or +s starts with a sign; operands() drops
	// "-..." fields, so look for the mode among the raw fields.
	mode := ""
	if !ref {
		for _, o := range ops {
			v := o.val
			if v == "-R" || v == "--recursive" || v == "-v" || v == "-f" || v == "-c" || strings.HasPrefix(v, "--") {
				continue
			}
			mode = v
			break
		}
	}
	if mode != "" && isSetuidMode(mode) {
		a.add(RuleShellSetuid, "chmod "+mode+" sets the setuid/setgid bit")
	}
	for _, p := range all {
		if p == mode {
			continue
		}
		rest = append(rest, p)
	}
	for _, p := range rest {
		if classifyPath(p) >= pathHome {
			a.add(RuleShellDestructive, "chmod on protected path "+p)
		}
	}
}

func (a *shellAnalyzer) ownerCmd(base string, ops []arg) {
	all := operands(ops, []string{"-m", "-x", "-M", "-X"})
	if len(all) > 0 && base != "setfacl" {
		all = all[1:] // owner, group or attribute spec
	}
	for _, p := range all {
		if classifyPath(p) >= pathHome {
			a.add(RuleShellDestructive, base+" on protected path "+p)
		}
	}
}

// copyCmd checks the destination of commands that write files.
func (a *shellAnalyzer) copyCmd(base string, ops []arg) {
	switch base {
	case "tee", "touch", "mkdir":
		for _, p := range operands(ops, []string{"-m", "-t", "-d", "-r"}) {
			a.writeTarget(p, base)
		}
		return
	case "sed":
		inPlace := false
		for _, o := range ops {
			if o.val == "-i" || strings.HasPrefix(o.val, "-i") || strings.HasPrefix(o.val, "--in-place") {
				inPlace = true
			}
		}
		if !inPlace {
			return
		}
		ps := operands(ops, []string{"-e", "-f"})
		if len(ps) > 1 {
			for _, p := range ps[1:] {
				a.writeTarget(p, "sed -i")
			}
		}
		return
	case "tar", "unzip":
		for i, o := range ops {
			if (o.val == "-C" || o.val == "-d" || o.val == "--directory") && i+1 < len(ops) {
				a.writeTarget(ops[i+1].val, base+" extraction")
			}
		}
		return
	case "git":
		return
	case "rsync":
		if a.remoteCmd(base, ops) {
			return
		}
	}
	var dest string
	for i, o := range ops {
		if (o.val == "-t" || o.val == "--target-directory") && i+1 < len(ops) {
			dest = ops[i+1].val
		}
		if d, ok := strings.CutPrefix(o.val, "--target-directory="); ok {
			dest = d
		}
	}
	if dest == "" {
		ps := operands(ops, []string{"-t", "-S", "-m", "-o", "-g", "-e", "-f"})
		if len(ps) >= 2 {
			dest = ps[len(ps)-1]
		}
	}
	if dest != "" {
		a.writeTarget(dest, base)
	}
}

// curlValueShort are curl's short options that take a value.
const curlValueShort = "AbcCdDeEFHKmoPQrtTuUwxXyYz"

func (a *shellAnalyzer) curlCmd(ops []arg) {
	upload := ""
	method := func(m string) {
		switch strings.ToUpper(m) {
		case "POST", "PUT", "PATCH":
			upload = "curl -X " + strings.ToUpper(m)
		}
	}
	for i := 0; i < len(ops); i++ {
		v := ops[i].val
		next := ""
		if i+1 < len(ops) {
			next = ops[i+1].val
		}
		switch {
		case strings.HasPrefix(v, "--"):
			name, val, hasVal := strings.Cut(v[2:], "=")
			switch {
			case strings.HasPrefix(name, "data"), name == "form", strings.HasPrefix(name, "form-"),
				name == "upload-file", name == "json", name == "post301", name == "post302":
				upload = "curl --" + name
			case name == "request":
				if !hasVal {
					val = next
				}
				method(val)
			}
		case len(v) > 1 && v[0] == '-':
			for j := 1; j < len(v); j++ {
				c := v[j]
				if c == 'd' || c == 'F' || c == 'T' {
					upload = "curl -" + string(c)
				}
				if c == 'X' {
					if j+1 < len(v) {
						method(v[j+1:])
					} else {
						method(next)
					}
				}
				if strings.IndexByte(curlValueShort, c) >= 0 {
					break
				}
			}
		}
	}
	if upload != "" {
		a.add(RuleShellNetUpload, upload+" sends data")
		return
	}
	a.add(RuleShellNetFetch, "curl downloads")
}

func (a *shellAnalyzer) wgetCmd(ops []arg) {
	for i, o := range ops {
		v := o.val
		name, val, hasVal := strings.Cut(strings.TrimPrefix(v, "--"), "=")
		if !strings.HasPrefix(v, "--") {
			continue
		}
		switch name {
		case "post-data", "post-file", "body-data", "body-file":
			a.add(RuleShellNetUpload, "wget --"+name+" sends data")
			return
		case "method":
			if !hasVal && i+1 < len(ops) {
				val = ops[i+1].val
			}
			switch strings.ToUpper(val) {
			case "POST", "PUT", "PATCH":
				a.add(RuleShellNetUpload, "wget --method="+val+" sends data")
				return
			}
		}
	}
	a.add(RuleShellNetFetch, "wget downloads")
}

// isRemoteSpec reports host:path, user@host:path and URL operands.
func isRemoteSpec(v string) bool {
	for _, p := range []string{"rsync://", "scp://", "sftp://", "ftp://", "ftps://", "tftp://"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	i := strings.IndexByte(v, ':')
	return i > 0 && !strings.ContainsRune(v[:i], '/')
}

// remoteCmd blocks copies to a remote host; it reports whether it did.
func (a *shellAnalyzer) remoteCmd(base string, ops []arg) bool {
	switch base {
	case "sftp", "ftp", "tftp", "lftp":
		a.add(RuleShellRemoteCopy, base+" transfers files to a remote host")
		return true
	}
	ps := operands(ops, []string{"-i", "-P", "-p", "-o", "-F", "-J", "-l", "-c", "-S", "-e", "-f", "-B", "-T"})
	for _, o := range ops {
		if strings.HasPrefix(o.val, "-e") || strings.HasPrefix(o.val, "--rsh") {
			a.add(RuleShellRemoteCopy, base+" with a remote shell")
			return true
		}
	}
	if len(ps) >= 2 && isRemoteSpec(ps[len(ps)-1]) {
		a.add(RuleShellRemoteCopy, base+" copies to "+ps[len(ps)-1])
		return true
	}
	if len(ps) >= 1 && base == "rsync" && isRemoteSpec(ps[len(ps)-1]) {
		a.add(RuleShellRemoteCopy, base+" copies to "+ps[len(ps)-1])
		return true
	}
	return false
}

// findCmd checks find's starting points against -delete and -exec.
func (a *shellAnalyzer) findCmd(ops []arg, depth int) {
	i := 0
	for i < len(ops) && (ops[i].val == "-H" || ops[i].val == "-L" || ops[i].val == "-P" || strings.HasPrefix(ops[i].val, "-O") || ops[i].val == "-D") {
		if ops[i].val == "-D" {
			i++
		}
		i++
	}
	var roots []string
	for i < len(ops) && !strings.HasPrefix(ops[i].val, "-") && ops[i].val != "(" && ops[i].val != "!" {
		roots = append(roots, ops[i].val)
		i++
	}
	destructive := false
	for ; i < len(ops); i++ {
		v := ops[i].val
		switch v {
		case "-delete":
			destructive = true
		case "-exec", "-execdir", "-ok", "-okdir":
			j := i + 1
			for j < len(ops) && ops[j].val != ";" && ops[j].val != "+" {
				j++
			}
			sub := ops[i+1 : j]
			if len(sub) > 0 {
				b := path.Base(sub[0].val)
				if destructiveCmds[b] || b == "chmod" || b == "chown" || b == "mv" {
					destructive = true
				}
				a.command(sub, nil, depth+1, false)
			}
			i = j
		}
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	if !destructive {
		return
	}
	for _, r := range roots {
		if classifyPath(r) >= pathHome {
			a.add(RuleShellDestructive, "find "+r+" deletes or rewrites protected files")
		}
	}
}

func (a *shellAnalyzer) awkCmd(ops []arg) {
	for i := 0; i < len(ops); i++ {
		v := ops[i].val
		if v == "-F" || v == "-v" {
			i++
			continue
		}
		if v == "-f" || strings.HasPrefix(v, "--file") {
			return
		}
		if strings.HasPrefix(v, "-") {
			continue
		}
		if !ops[i].static {
			a.add(RuleShellDynamicEval, "awk program is not a literal")
			return
		}
		p := strings.ReplaceAll(v, " ", "")
		for _, d := range []string{"system(", "|\"", "\"|", "|&", "|getline"} {
			if strings.Contains(p, d) {
				a.add(RuleShellInlineCodeExec, fmt.Sprintf("awk program runs commands (%q)", d))
				return
			}
		}
		return
	}
}
