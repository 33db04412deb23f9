package gate

import (
	"path"
	"slices"
	"strings"
)

// pathClass orders how much a path matters; higher is more sensitive.
type pathClass int

const (
	pathOther  pathClass = iota
	pathHome             // a home directory itself (~, /root, /home/u)
	pathSystem           // a system directory or anything under one
	pathRoot             // the root directory
)

// systemRoots are directories whose whole subtree is protected.
var systemRoots = []string{
	"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
	"/opt", "/proc", "/sbin", "/srv", "/sys", "/usr", "/var", "/snap",
	"/System", "/Library", "/Applications", "/private", "/root",
}

// protectedExact are directories protected themselves but not their content.
var protectedExact = []string{"/tmp", "/var/tmp", "/mnt", "/media", "/home", "/Users", "/run"}

// scratchRoots are carved out of systemRoots.
var scratchRoots = []string{"/var/tmp", "/dev/shm"}

// candidates are concrete paths a glob is tested against.
var globCandidates = []string{
	"/", "/etc", "/etc/passwd", "/etc/shadow", "/usr", "/usr/bin", "/bin", "/boot",
	"/var", "/lib", "/home", "/home/user", "/root", "/dev/sda", "~", "~/.ssh",
	"~/Documents", "~/.config", "~/.bashrc",
}

func under(p, root string) bool {
	return p == root || strings.HasPrefix(p, root+"/")
}

func hasGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// classifyPath judges a path as written (after expansion, HOME is "~").
// Relative paths are pathOther: the working directory is not known.
func classifyPath(raw string) pathClass {
	if raw == "" {
		return pathOther
	}
	p := path.Clean(raw)
	if hasGlob(p) {
		if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~") {
			return pathOther // relative: depends on the working directory
		}
		worst := pathOther
		for _, c := range globCandidates {
			if ok, _ := path.Match(p, c); ok {
				worst = max(worst, classifyPath(c))
			}
		}
		// A bare wildcard over a directory's entries (~/*, /*, ~/.*) is as
		// bad as the directory itself.
		if strings.Trim(path.Base(p), "*?.") == "" {
			if dc := classifyPlain(path.Dir(p)); dc >= pathHome {
				worst = max(worst, dc)
			}
		}
		// Anything under a protected directory's glob (/etc/*) is system.
		if i := strings.IndexAny(p, "*?["); i > 0 {
			if dir := path.Dir(p[:i+1]); dir != "/" && dir != "." {
				worst = max(worst, classifyPlain(dir+"/x"))
			}
		}
		return worst
	}
	return classifyPlain(p)
}

func classifyPlain(p string) pathClass {
	switch {
	case p == "/":
		return pathRoot
	case p == "~" || strings.HasPrefix(p, "~") && !strings.Contains(p, "/"): // ~ or ~user
		return pathHome
	case p == "/root":
		return pathHome
	}
	if d := path.Dir(p); (d == "/home" || d == "/Users") && p != d {
		return pathHome
	}
	if slices.Contains(protectedExact, p) {
		return pathSystem
	}
	for _, s := range scratchRoots {
		if under(p, s) {
			return pathOther
		}
	}
	for _, r := range systemRoots {
		if under(p, r) {
			return pathSystem
		}
	}
	return pathOther
}

// credentialDirs are path components whose subtree holds credentials.
var credentialDirs = []string{".ssh", ".aws", ".gnupg", ".azure", ".kube", ".password-store", ".docker"}

// credentialFiles are base names that hold credentials wherever they are.
var credentialFiles = []string{
	".netrc", "_netrc", ".git-credentials", ".pgpass", ".npmrc", ".pypirc",
	".vault-token", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
	"application_default_credentials.json", "credentials.db", "access_tokens.db",
}

// credentialExact are absolute credential paths.
var credentialExact = []string{
	"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/master.passwd",
	"/etc/sudoers", "/etc/security/opasswd",
}

var credentialGlobCandidates = []string{
	"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "~/.ssh", "~/.ssh/id_rsa", "~/.ssh/id_ed25519",
	"~/.aws/credentials", "~/.netrc", "~/.kube/config", "~/.config/gcloud",
	"~/.config/gcloud/credentials.db", "~/.docker/config.json", "~/.gnupg", "~/.git-credentials",
	"/root/.ssh/id_rsa",
}

// isCredentialPath reports paths of private keys, password hashes and cloud
// or API credentials.
func isCredentialPath(raw string) bool {
	if raw == "" {
		return false
	}
	p := path.Clean(raw)
	if hasGlob(p) {
		for _, c := range credentialGlobCandidates {
			if ok, _ := path.Match(p, c); ok {
				return true
			}
		}
	}
	if slices.Contains(credentialExact, p) || strings.HasPrefix(p, "/etc/sudoers.d") || strings.HasPrefix(p, "/etc/ssl/private") {
		return true
	}
	parts := strings.Split(p, "/")
	base := parts[len(parts)-1]
	for i, c := range parts {
		if slices.Contains(credentialDirs, c) {
			if c == ".ssh" && i == len(parts)-2 && (strings.HasSuffix(base, ".pub") || base == "known_hosts") {
				return false
			}
			if c == ".docker" && !(i == len(parts)-2 && base == "config.json") {
				continue
			}
			return true
		}
		if c == ".config" && i+1 < len(parts) && (parts[i+1] == "gcloud" || parts[i+1] == "gh") {
			return true
		}
	}
	return slices.Contains(credentialFiles, base)
}

// persistenceFiles run at login or shell start-up.
var persistenceFiles = []string{".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv", ".bash_logout"}

func isPersistencePath(raw string) bool {
	p := path.Clean(raw)
	if strings.Contains(p, ".config/autostart") || strings.Contains(p, ".config/systemd") {
		return true
	}
	return slices.Contains(persistenceFiles, path.Base(p))
}

// isDevNet reports bash's /dev/tcp and /dev/udp pseudo-files.
func isDevNet(raw string) bool {
	p := path.Clean(raw)
	return strings.HasPrefix(p, "/dev/tcp/") || strings.HasPrefix(p, "/dev/udp/")
}

// safeDevice reports device files that are fine to write.
func safeDevice(p string) bool {
	switch p {
	case "/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty",
		"/dev/random", "/dev/urandom", "/dev/full":
		return true
	}
	return strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/dev/shm/") || strings.HasPrefix(p, "/dev/pts/")
}
