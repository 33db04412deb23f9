package gate

import (
	"net/netip"
	"testing"
)

func fetch(u string) Request {
	return Request{Tool: ToolWebFetch, Input: Input{URL: u}, Context: testCtx}
}

func TestWebFetchPolicy(t *testing.T) {
	g := testGate(t)
	cases := []struct {
		url, rule string // rule "" = allowed
	}{
		{"https://example.com/docs", ""},
		{"http://go.dev/doc/", ""},
		{"https://93.184.216.34/", ""},
		{"https://[2606:2800:220:1:248:1893:25c8:1946]/", ""},
		{"ftp://example.com/file", RuleURLScheme},
		{"file:///etc/passwd", RuleURLScheme},
		{"gopher://example.com", RuleURLScheme},
		{"javascript:alert(1)", RuleURLScheme},
		{"http://localhost:8080/", RuleURLLoopback},
		{"http://LOCALHOST./", RuleURLLoopback},
		{"http://api.localhost/", RuleURLLoopback},
		{"http://127.0.0.1/", RuleURLLoopback},
		{"http://127.1/", RuleURLLoopback},
		{"http://2130706433/", RuleURLLoopback},
		{"http://0x7f000001/", RuleURLLoopback},
		{"http://0177.0.0.1/", RuleURLLoopback},
		{"http://0.0.0.0:9000/", RuleURLLoopback},
		{"http://[::1]/", RuleURLLoopback},
		{"http://[::ffff:127.0.0.1]/", RuleURLLoopback},
		{"http://[64:ff9b::7f00:1]/", RuleURLLoopback},
		{"http://169.254.169.254/latest/meta-data/", RuleURLMetadata},
		{"http://[::ffff:169.254.169.254]/", RuleURLMetadata},
		{"http://2852039166/", RuleURLMetadata},
		{"http://metadata.google.internal/computeMetadata/v1/", RuleURLMetadata},
		{"http://[fd00:ec2::254]/", RuleURLMetadata},
		{"http://169.254.10.1/", RuleURLLinkLocal},
		{"http://[fe80::1%25eth0]/", RuleURLLinkLocal},
		{"http://10.0.0.5/", RuleURLPrivate},
		{"http://172.16.3.4/", RuleURLPrivate},
		{"http://192.168.1.1/admin", RuleURLPrivate},
		{"http://100.64.0.1/", RuleURLPrivate},
		{"http://[fd12:3456::1]/", RuleURLPrivate},
		{"http://[2002:c0a8:0101::1]/", RuleURLPrivate},
		{"http://224.0.0.1/", RuleURLLinkLocal},
		{"http://239.1.2.3/", RuleURLReserved},
		{"http://240.0.0.1/", RuleURLReserved},
		{"http://255.255.255.255/", RuleURLReserved},
		{"http://printer.local/", RuleURLInternalName},
		{"http://db.internal/", RuleURLInternalName},
		{"http://intranet/", RuleURLInternalName},
		{"http://127.0.0.1.nip.io/", RuleURLLoopbackDNS},
		{"https://user:pass@example.com/", RuleURLUserinfo},
		{"", RuleURLMalformed},
		{"http://exa mple.com/", RuleURLMalformed},
		{"http://[::1/", RuleURLMalformed},
		{"https:///path", RuleURLMalformed},
		{"http://example.com:99999/", RuleURLMalformed},
		{"http://exаmple.com/", RuleURLMalformed},
	}
	for _, c := range cases {
		d := g.Check(fetch(c.url), testNow)
		if c.rule == "" {
			if !d.Allowed() {
				t.Errorf("%q: blocked %s", c.url, d.Reason)
			}
			continue
		}
		if d.Allowed() || d.Rule != c.rule {
			t.Errorf("%q: got %s %s, want %s", c.url, d.Verdict, d.Rule, c.rule)
		}
	}
}

func TestWebFetchAllowConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WebFetch.AllowLoopback = true
	cfg.WebFetch.AllowPrivate = true
	cfg.WebFetch.AllowHosts = []string{"169.254.0.0/16", "metadata.google.internal"}
	cfg.WebFetch.Schemes = []string{"https"}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://localhost/", "https://10.1.2.3/", "https://169.254.169.254/", "https://metadata.google.internal/", "https://db.internal/"} {
		if d := g.Check(fetch(u), testNow); !d.Allowed() {
			t.Errorf("%q: blocked %s", u, d.Reason)
		}
	}
	if d := g.Check(fetch("http://example.com/"), testNow); d.Rule != RuleURLScheme {
		t.Errorf("http with https-only: %s", d.Rule)
	}
	cfg = DefaultConfig()
	cfg.WebFetch.AllowMetadata = true
	g, _ = New(cfg)
	if d := g.Check(fetch("http://169.254.169.254/"), testNow); !d.Allowed() {
		t.Errorf("AllowMetadata: %s", d.Reason)
	}
}

func TestCheckAddr(t *testing.T) {
	g := testGate(t)
	for addr, want := range map[string]string{
		"8.8.8.8": "", "127.0.0.1": RuleURLLoopback, "10.9.8.7": RuleURLPrivate,
		"169.254.169.254": RuleURLMetadata, "fe80::1": RuleURLLinkLocal, "2001:4860:4860::8888": "",
	} {
		rule, ok := g.CheckAddr(netip.MustParseAddr(addr))
		if ok != (want == "") || rule != want {
			t.Errorf("%s: got %q %v, want %q", addr, rule, ok, want)
		}
	}
}

func TestParseInetAton(t *testing.T) {
	for in, want := range map[string]string{
		"127.1": "127.0.0.1", "0x7f.1": "127.0.0.1", "2130706433": "127.0.0.1",
		"10.0x10.1": "10.16.0.1", "0300.0250.1.1": "192.168.1.1", "1.2.3.4": "1.2.3.4",
	} {
		a, ok := parseInetAton(in)
		if !ok || a.String() != want {
			t.Errorf("%q: got %v %v, want %s", in, a, ok, want)
		}
	}
	for _, in := range []string{"", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.65536", "08.1.1.1", "1..2", "example.com", "0xg.1"} {
		if a, ok := parseInetAton(in); ok {
			t.Errorf("%q: parsed as %v", in, a)
		}
	}
}
