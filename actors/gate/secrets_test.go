package gate

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEntropy(t *testing.T) {
	cases := []struct {
		s    string
		want float64
	}{
		{"", 0}, {"aaaa", 0}, {"ab", 1}, {"abcd", 2}, {"0123456789abcdef", 4},
	}
	for _, c := range cases {
		if got := Entropy(c.s); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Entropy(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

func write(path, content string) Request {
	return Request{Tool: ToolWrite, Input: Input{Path: path, Content: content}, Context: testCtx}
}

func TestWriteSecrets(t *testing.T) {
	g := testGate(t)
	block := []struct {
		rule, content string
	}{
		{RuleSecretPrivateKey, "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"},
		{RuleSecretPrivateKey, "key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n"},
		{RuleSecretPrivateKey, "-----BEGIN PRIVATE KEY-----"},
		{RuleSecretAWS, `aws_access_key_id = AKIAIOSFODNN7EXAMPLE`},
		{RuleSecretGCPKey, `const key = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"`},
		{RuleSecretGCPAccount, `{"type": "service_account", "project_id": "p"}`},
		{RuleSecretGitHub, `token := "ghp_1234567890abcdefghijABCDEFGHIJ123456"`},
		{RuleSecretGitHub, `GH=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz`},
		{RuleSecretSlack, `SLACK=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx`},
		{RuleSecretSlack, `url = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"`},
		{RuleSecretOpenAI, `OPENAI_API_KEY=sk-proj-abcDEF123ghiJKL456mnoPQR789`},
		{RuleSecretStripe, `stripe.Key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"`},
		{RuleSecretHighEntropy, `db_password = "x9K2mQ7vL4pR8tZ1wY6n"`},
		{RuleSecretHighEntropy, `"client_secret": "a8f5f167f44f4964e6c998dee827110c"`},
		{RuleSecretHighEntropy, `export API_KEY=Zq83Hd0sLk29Xm4Pw7Rt`},
	}
	for _, c := range block {
		d := g.Check(write("src/config.go", c.content), testNow)
		if d.Allowed() || !slices.Contains(ruleIDs(d.Findings), c.rule) {
			t.Errorf("%q: got %s %v, want BLOCK with %s", c.content, d.Verdict, ruleIDs(d.Findings), c.rule)
		}
		if d.Dimensions.Fidelity != 0 {
			t.Errorf("%q: fidelity %v", c.content, d.Dimensions.Fidelity)
		}
		for _, f := range d.Findings {
			if len(c.content) > 30 && strings.Contains(f.Detail, c.content[len(c.content)-12:]) {
				t.Errorf("finding detail leaks the secret: %q", f.Detail)
			}
		}
	}
	allow := []string{
		"package main\n\nfunc main() { println(\"hello\") }\n",
		`password := os.Getenv("DB_PASSWORD")`,
		`token = request.headers.authorization`,
		`password = "changeme"`,
		`api_key: ${API_KEY}`,
		`secret_name = "production-database-credentials"`,
		"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
		`// the task-runner-abcdefghijklmnopqrstuv handles it`,
		"",
	}
	for _, c := range allow {
		if d := g.Check(write("notes/readme.md", c), testNow); !d.Allowed() {
			t.Errorf("%q: blocked %s", c, d.Reason)
		}
	}
	edit := Request{Tool: ToolEdit, Input: Input{Path: "a.py", OldContent: "KEY = ''", Content: "KEY = 'AKIAIOSFODNN7EXAMPLE'"}, Context: testCtx}
	if d := g.Check(edit, testNow); d.Allowed() || d.Rule != RuleSecretAWS || d.Threshold != 0.96 {
		t.Errorf("edit: %s %s %v", d.Verdict, d.Rule, d.Threshold)
	}
}

func TestWritePaths(t *testing.T) {
	g := testGate(t)
	cases := []struct {
		path, rule string
	}{
		{"", RulePathMissing},
		{"/etc/passwd", RulePathSystem},
		{"/usr/local/bin/tool", RulePathSystem},
		{"/home/alice/.bashrc", RulePathSystem},
		{"/home/alice/.ssh/authorized_keys", RulePathCredential},
		{"/root/.aws/credentials", RulePathCredential},
		{"/dev/sda", RulePathSystem},
		{"src/main.go", ""},
		{"/tmp/out.txt", ""},
		{"/home/alice/project/main.go", ""},
	}
	for _, c := range cases {
		d := g.Check(write(c.path, "x"), testNow)
		if c.rule == "" {
			if !d.Allowed() {
				t.Errorf("%q: blocked %s", c.path, d.Reason)
			}
			continue
		}
		if d.Allowed() || d.Rule != c.rule {
			t.Errorf("%q: got %s %s, want %s", c.path, d.Verdict, d.Rule, c.rule)
		}
	}
	cfg := DefaultConfig()
	cfg.Content.MaxBytes = 10
	g2, _ := New(cfg)
	if d := g2.Check(write("a.txt", strings.Repeat("a", 11)), testNow); d.Rule != RuleContentTooLarge {
		t.Errorf("too large: %s", d.Rule)
	}
}
