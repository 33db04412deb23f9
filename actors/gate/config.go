package gate

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
)

// Tool names the gate knows how to analyse. Matching is exact.
const (
	ToolBash     = "Bash"
	ToolWrite    = "Write"
	ToolEdit     = "Edit"
	ToolWebFetch = "WebFetch"
	// ToolTask is a TaskCard as a whole: its input is scanned for secrets
	// (a card carrying credentials loses Fidelity). Its composite score is
	// the ihsan score of the card's envelope.
	ToolTask = "Task"
)

// Weights are the exponents of the weighted geometric mean that combines the
// dimension scores into the composite. Each must be > 0; they are normalised
// by their sum.
type Weights struct {
	Fidelity       float64
	Accountability float64
	Transparency   float64
	Ethics         float64
}

// Config configures a Gate. Start from DefaultConfig and change fields.
type Config struct {
	// Thresholds maps a tool name to the minimum composite score for ALLOW,
	// each in (0,1]. Seed §4.2: Bash 0.98, Write 0.96, Edit 0.96,
	// WebFetch 0.95.
	Thresholds map[string]float64
	// DefaultThreshold applies to tools missing from Thresholds, in (0,1].
	DefaultThreshold float64
	// Weights combine the four dimension scores into the composite.
	Weights Weights
	// RequireContext makes a missing requester or session id a hard
	// finding instead of a soft one.
	RequireContext bool
	// Shell configures the Bash analyser.
	Shell ShellConfig
	// Content configures the Write/Edit secret scanner.
	Content ContentConfig
	// WebFetch configures the URL policy.
	WebFetch WebFetchConfig
}

// ShellConfig configures the Bash analyser.
type ShellConfig struct {
	// MaxCommandBytes is the largest command analysed; longer ones are
	// blocked (shell.too-long). Must be > 0.
	MaxCommandBytes int
	// MaxDepth bounds nested re-parsing (sh -c, eval, alias, trap,
	// here-documents fed to shells). Deeper nesting is blocked
	// (shell.nesting-too-deep). Must be >= 1.
	MaxDepth int
}

// ContentConfig configures the secret scanner used for Write and Edit
// content (and for Bash command text).
type ContentConfig struct {
	// MaxBytes is the largest content scanned; larger content is blocked
	// (content.too-large). Must be > 0.
	MaxBytes int
	// EntropyBits is the Shannon entropy, in bits per character, at or
	// above which the value of a credential-like assignment is reported
	// (secret.high-entropy-assignment). In (0, 8].
	EntropyBits float64
	// MinSecretLen is the shortest assignment value considered. Must be > 0.
	MinSecretLen int
}

// WebFetchConfig is the WebFetch address policy. Hosts are judged as
// written in the URL: the gate performs no DNS lookups, so a public name
// that resolves to a private address is not caught here; the fetcher should
// also apply AddrRule to the address it actually connects to.
type WebFetchConfig struct {
	// Schemes lists the allowed URL schemes (lower case).
	Schemes []string
	// AllowLoopback permits 127.0.0.0/8, ::1, localhost names.
	AllowLoopback bool
	// AllowPrivate permits RFC 1918, RFC 6598 (100.64/10) and fc00::/7.
	AllowPrivate bool
	// AllowLinkLocal permits 169.254.0.0/16 and fe80::/10 (metadata
	// addresses stay blocked unless AllowMetadata).
	AllowLinkLocal bool
	// AllowMetadata permits cloud metadata endpoints.
	AllowMetadata bool
	// AllowHosts lists host names (exact, case-insensitive) or address
	// prefixes ("10.1.0.0/16") that are allowed whatever the rules above say.
	AllowHosts []string
}

// DefaultConfig returns the seed's thresholds and conservative limits.
func DefaultConfig() Config {
	return Config{
		Thresholds: map[string]float64{
			ToolBash:     0.98,
			ToolWrite:    0.96,
			ToolEdit:     0.96,
			ToolWebFetch: 0.95,
		},
		DefaultThreshold: 0.95,
		Weights:          Weights{Fidelity: 0.25, Accountability: 0.25, Transparency: 0.25, Ethics: 0.25},
		Shell:            ShellConfig{MaxCommandBytes: 64 << 10, MaxDepth: 8},
		Content:          ContentConfig{MaxBytes: 4 << 20, EntropyBits: 3.5, MinSecretLen: 16},
		WebFetch:         WebFetchConfig{Schemes: []string{"http", "https"}},
	}
}

func validUnit(v float64) bool { return !math.IsNaN(v) && v > 0 && v <= 1 }

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrInvalidConfig, field, v, want)
	}
	for tool, t := range c.Thresholds {
		if tool == "" {
			return bad("Thresholds key", `""`, "a tool name")
		}
		if !validUnit(t) {
			return bad(fmt.Sprintf("Thresholds[%q]", tool), t, "(0,1]")
		}
	}
	if !validUnit(c.DefaultThreshold) {
		return bad("DefaultThreshold", c.DefaultThreshold, "(0,1]")
	}
	for _, w := range []struct {
		name string
		v    float64
	}{
		{"Weights.Fidelity", c.Weights.Fidelity},
		{"Weights.Accountability", c.Weights.Accountability},
		{"Weights.Transparency", c.Weights.Transparency},
		{"Weights.Ethics", c.Weights.Ethics},
	} {
		if math.IsNaN(w.v) || math.IsInf(w.v, 0) || w.v <= 0 {
			return bad(w.name, w.v, "> 0")
		}
	}
	if c.Shell.MaxCommandBytes <= 0 {
		return bad("Shell.MaxCommandBytes", c.Shell.MaxCommandBytes, "> 0")
	}
	if c.Shell.MaxDepth < 1 {
		return bad("Shell.MaxDepth", c.Shell.MaxDepth, ">= 1")
	}
	if c.Content.MaxBytes <= 0 {
		return bad("Content.MaxBytes", c.Content.MaxBytes, "> 0")
	}
	if math.IsNaN(c.Content.EntropyBits) || c.Content.EntropyBits <= 0 || c.Content.EntropyBits > 8 {
		return bad("Content.EntropyBits", c.Content.EntropyBits, "(0,8]")
	}
	if c.Content.MinSecretLen <= 0 {
		return bad("Content.MinSecretLen", c.Content.MinSecretLen, "> 0")
	}
	if len(c.WebFetch.Schemes) == 0 {
		return bad("WebFetch.Schemes", "[]", "at least one scheme")
	}
	for i, s := range c.WebFetch.Schemes {
		if s == "" || s != strings.ToLower(s) {
			return bad(fmt.Sprintf("WebFetch.Schemes[%d]", i), fmt.Sprintf("%q", s), "a lower-case scheme")
		}
	}
	for i, h := range c.WebFetch.AllowHosts {
		if h == "" {
			return bad(fmt.Sprintf("WebFetch.AllowHosts[%d]", i), `""`, "a host name or prefix")
		}
		if strings.Contains(h, "/") {
			if _, err := netip.ParsePrefix(h); err != nil {
				return bad(fmt.Sprintf("WebFetch.AllowHosts[%d]", i), fmt.Sprintf("%q", h), "a valid address prefix")
			}
		}
	}
	return nil
}

// threshold returns the threshold for tool.
func (c *Config) threshold(tool string) float64 {
	if t, ok := c.Thresholds[tool]; ok {
		return t
	}
	return c.DefaultThreshold
}

// clone deep-copies the slices and maps so a Gate's config cannot be changed
// behind its back.
func (c Config) clone() Config {
	out := c
	out.Thresholds = make(map[string]float64, len(c.Thresholds))
	for k, v := range c.Thresholds {
		out.Thresholds[k] = v
	}
	out.WebFetch.Schemes = append([]string(nil), c.WebFetch.Schemes...)
	out.WebFetch.AllowHosts = append([]string(nil), c.WebFetch.AllowHosts...)
	return out
}
