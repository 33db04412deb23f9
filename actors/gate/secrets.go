package gate

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// The secret scanner looks for credentials written in clear: well-known
// token formats (PEM private keys, AWS, GCP, GitHub, Slack, OpenAI-style and
// Stripe keys) and assignments to credential-like names (password, secret,
// token, api_key, ...) whose value has a Shannon entropy of at least
// ContentConfig.EntropyBits bits per character, is at least MinSecretLen
// long, and mixes letters and digits. Findings never quote the secret: the
// detail keeps its first four characters, its length and its line.

type secretPattern struct {
	rule string
	re   *regexp.Regexp
	// hints: the regexp runs only if the content contains one of them.
	hints []string
}

var secretPatterns = []secretPattern{
	{RuleSecretPrivateKey, regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`), []string{"PRIVATE KEY"}},
	{RuleSecretAWS, regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b`), []string{"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"}},
	{RuleSecretGCPKey, regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}`), []string{"AIza"}},
	{RuleSecretGCPAccount, regexp.MustCompile(`"type"\s*:\s*"service_account"`), []string{"service_account"}},
	{RuleSecretGitHub, regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})`), []string{"hp_", "ho_", "hu_", "hs_", "hr_", "github_pat_"}},
	{RuleSecretSlack, regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+`), []string{"xox", "hooks.slack.com"}},
	{RuleSecretOpenAI, regexp.MustCompile(`\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}`), []string{"sk-"}},
	{RuleSecretStripe, regexp.MustCompile(`\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}`), []string{"k_live_", "k_test_"}},
}

// assignRe finds name = value, name: value, name := value, "name": "value".
var assignRe = regexp.MustCompile(`(?i)([A-Za-z0-9_.\-]*(?:secret|token|passw(?:or)?d|passwd|pwd|api[_\-]?key|access[_\-]?key|private[_\-]?key|auth[_\-]?key|credential|client[_\-]?secret)[A-Za-z0-9_.\-]*)["']?\s*(?::=|=>|=|:)\s*["'` + "`" + `]?([^\s"'` + "`" + `,;(){}\[\]<>]+)`)

// Entropy returns the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

func redact(s string) string {
	if len(s) <= 4 {
		return fmt.Sprintf("[%d chars]", len(s))
	}
	return fmt.Sprintf("%s… [%d chars]", s[:4], len(s))
}

func lineOf(content string, off int) int { return strings.Count(content[:off], "\n") + 1 }

// ScanSecrets returns the secret findings for content under cfg.
func ScanSecrets(content string, cfg ContentConfig) []Finding { return scanSecrets(content, cfg) }

func scanSecrets(content string, cfg ContentConfig) []Finding {
	var fs []Finding
	if len(content) > cfg.MaxBytes {
		return append(fs, newFinding(RuleContentTooLarge, fmt.Sprintf("%d bytes > limit %d", len(content), cfg.MaxBytes)))
	}
	for _, p := range secretPatterns {
		if !containsAny(content, p.hints) {
			continue
		}
		if loc := p.re.FindStringIndex(content); loc != nil {
			fs = append(fs, newFinding(p.rule, fmt.Sprintf("%s at line %d", redact(content[loc[0]:loc[1]]), lineOf(content, loc[0]))))
		}
	}
	if f, ok := scanAssignments(content, cfg); ok {
		fs = append(fs, f)
	}
	return fs
}

// assignKeywords prefilter lines for assignRe (lower case).
var assignKeywords = []string{"secret", "token", "passw", "pwd", "key", "credential"}

// scanAssignments runs assignRe only on lines holding a keyword.
func scanAssignments(content string, cfg ContentConfig) (Finding, bool) {
	lower := asciiLower(content)
	start := 0
	for start < len(content) {
		end := strings.IndexByte(content[start:], '\n')
		if end < 0 {
			end = len(content)
		} else {
			end += start
		}
		if containsAny(lower[start:end], assignKeywords) {
			line := content[start:end]
			for _, m := range assignRe.FindAllStringSubmatchIndex(line, -1) {
				name, val := line[m[2]:m[3]], line[m[4]:m[5]]
				if credentialValue(val, cfg) {
					return newFinding(RuleSecretHighEntropy, fmt.Sprintf("%s = %s (%.2f bits/char) at line %d",
						name, redact(val), Entropy(val), lineOf(content, start))), true
				}
			}
		}
		start = end + 1
	}
	return Finding{}, false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// credentialValue reports whether an assigned value looks like a secret
// rather than a reference or a word.
func credentialValue(v string, cfg ContentConfig) bool {
	if len(v) < cfg.MinSecretLen {
		return false
	}
	if strings.ContainsAny(v[:1], "$%&*") || strings.HasPrefix(v, "os.") || strings.HasPrefix(v, "process.env") {
		return false
	}
	letters, digits := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letters = true
		}
	}
	return letters && digits && Entropy(v) >= cfg.EntropyBits
}

// checkWrite judges a Write or Edit: the target path and the new content.
func checkWrite(in Input, cfg ContentConfig) []Finding {
	var fs []Finding
	p := strings.TrimSpace(in.Path)
	switch {
	case p == "":
		fs = append(fs, newFinding(RulePathMissing, "no file path"))
	case isCredentialPath(p):
		fs = append(fs, newFinding(RulePathCredential, "writes credential file "+p))
	case isPersistencePath(p) || classifyPath(p) >= pathHome || strings.HasPrefix(p, "/dev/"):
		fs = append(fs, newFinding(RulePathSystem, "writes protected path "+p))
	}
	return append(fs, scanSecrets(in.Content, cfg)...)
}
