package market

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseCredits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Micro
		err  bool
	}{
		{"12", 12 * Credit, false},
		{"12.5", 12*Credit + Credit/2, false},
		{"0.000001", 1, false},
		{".5", Credit / 2, false},
		{"100.", 100 * Credit, false},
		{"0.0000001", 0, true},
		{"-1", 0, true},
		{"1e6", 0, true},
		{"", 0, true},
		{".", 0, true},
		{"99999999999999999999", 0, true},
	} {
		got, err := ParseCredits(tc.in)
		if tc.err != (err != nil) || got != tc.want || (err != nil && !errors.Is(err, ErrBadValue)) {
			t.Errorf("ParseCredits(%q) = %d, %v", tc.in, got, err)
		}
		if err == nil {
			if back, _ := ParseCredits(got.String()); back != got {
				t.Errorf("%q does not round-trip through %q", tc.in, got.String())
			}
		}
	}
	if s := Micro(-1500000).String(); s != "-1.500000" {
		t.Errorf("String = %s", s)
	}
}

// TestRequestExamples: the documented request forms decode strictly.
func TestRequestExamples(t *testing.T) {
	f, err := os.Open("testdata/requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	verbs := map[string]bool{}
	for sc.Scan() {
		req, err := DecodeRequest(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		verbs[req.Verb] = true
	}
	if len(verbs) != len(Verbs) {
		t.Fatalf("examples cover %v, want %v", verbs, Verbs)
	}
}

// TestSettleTimer: the Market's own timer settles tax without any call.
func TestSettleTimer(t *testing.T) {
	clk := newClock()
	cfg := testConfig(clk)
	cfg.SettleInterval = time.Millisecond
	m := openMarket(t, openStore(t, t.TempDir()), cfg, newSystem(t))
	clk.Advance(Year)
	eventually(t, "the timer's settlement", func() bool { return m.Status().TaxCollected == 7*Credit })
	m.Stop()
	m.Stop()
	if _, err := m.Settle(clk.Now()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Settle after Stop: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := testConfig(newClock())
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Config)
	}{
		{"GenesisHolder", func(c *Config) { c.GenesisHolder = "" }},
		{"GenesisHolder", func(c *Config) { c.GenesisHolder = "alice" }},
		{"Grants[0].Amount", func(c *Config) { c.Grants = []Grant{{To: ident(1), Amount: -1}} }},
		{"Licenses[1].ID", func(c *Config) { c.Licenses[1].ID = c.Licenses[0].ID }},
		{"Licenses[0].Kind", func(c *Config) { c.Licenses[0].Kind = "gold" }},
		{"Licenses[0].Value", func(c *Config) { c.Licenses[0].Value = 0 }},
		{"TaxRatePPM", func(c *Config) { c.TaxRatePPM = -1 }},
		{"MaxGini", func(c *Config) { c.MaxGini = 0 }},
		{"Epoch", func(c *Config) { c.Epoch = 0 }},
		{"RequireDefault", func(c *Config) { c.RequireDefault = "x" }},
		{"MinValue", func(c *Config) { c.MinValue = 0 }},
		{"RequestTimeout", func(c *Config) { c.RequestTimeout = 0 }},
		{"PCI", func(c *Config) { c.PCI.MaxTTL = 0 }},
	} {
		c := testConfig(newClock())
		c.Licenses = append([]LicenseSpec(nil), c.Licenses...)
		tc.edit(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
	}
}
