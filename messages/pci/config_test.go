package pci

import (
	"crypto/ed25519"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.IhsanThreshold != 0.95 || c.SNRThreshold != 0.85 || c.ClockSkew != 30*time.Second {
		t.Fatalf("blueprint constants changed: %+v", c)
	}
	if c.Trust.IsAllowlist() {
		t.Fatal("default trust is not AnySigner")
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	cases := map[string]func(*Config){
		"IhsanThreshold":  func(c *Config) { c.IhsanThreshold = 1.5 },
		"SNRThreshold":    func(c *Config) { c.SNRThreshold = math.NaN() },
		"ClockSkew":       func(c *Config) { c.ClockSkew = -time.Second },
		"MaxTTL":          func(c *Config) { c.MaxTTL = 0 },
		"ReplayCacheSize": func(c *Config) { c.ReplayCacheSize = 0 },
		"Trust":           func(c *Config) { c.Trust = Allowlist(ed25519.PublicKey{1, 2}) },
	}
	for field, mut := range cases {
		c := DefaultConfig()
		mut(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: got %v", field, err)
		}
		if _, err := NewVerifier(c); err == nil {
			t.Errorf("%s: NewVerifier accepted an invalid config", field)
		}
	}
}

func TestRejectErrorShape(t *testing.T) {
	err := error(rejectDetail(CodeTTLExpired, ErrReplay, "x"))
	if err.Error() != "pci: R001 TTL_EXPIRED: x" {
		t.Fatalf("message %q", err.Error())
	}
	if !errors.Is(err, ErrTTLExpired) || !errors.Is(err, ErrReplay) || errors.Is(err, ErrInvalidSignature) || errors.Is(err, ErrFutureTimestamp) {
		t.Fatal("errors.Is mismatch")
	}
	if Code(err) != "R001" || Code(errors.New("other")) != "" || Code(nil) != "" {
		t.Fatal("Code mismatch")
	}
	for code, name := range codeNames {
		e := reject(code, "r")
		if e.Name != name || !strings.HasPrefix(codeSentinels[code].Error(), "pci: "+code+" "+name) {
			t.Errorf("%s: %v / %v", code, e, codeSentinels[code])
		}
	}
}
