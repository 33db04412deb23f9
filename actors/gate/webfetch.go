package gate

import (
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The WebFetch policy judges the URL as written. It does no DNS lookups:
// IP literals (including the inet_aton forms 2130706433, 0x7f.1, 0177.0.0.1,
// 127.1, IPv4-mapped, NAT64 and 6to4 IPv6) are classified by address; names
// are classified by their text (localhost, metadata names, internal
// suffixes, single-label names, wildcard-DNS services that map names to
// embedded addresses). A public name that resolves to a private address is
// therefore not caught here: the fetcher must apply Gate.CheckAddr to the
// address it connects to (for example in net.Dialer.Control).

type webPolicy struct {
	cfg      WebFetchConfig
	prefixes []netip.Prefix
	hosts    []string
}

func newWebPolicy(cfg WebFetchConfig) webPolicy {
	p := webPolicy{cfg: cfg}
	for _, h := range cfg.AllowHosts {
		if pre, err := netip.ParsePrefix(h); err == nil {
			p.prefixes = append(p.prefixes, pre.Masked())
			continue
		}
		p.hosts = append(p.hosts, strings.TrimSuffix(strings.ToLower(h), "."))
	}
	return p
}

var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("169.254.169.253"), // AWS VPC DNS
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
}

var metadataNames = []string{
	"metadata.google.internal", "metadata", "metadata.goog", "instance-data",
	"instance-data.ec2.internal", "metadata.azure.internal", "metadata.packet.net",
}

var internalSuffixes = []string{".internal", ".local", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp", ".private"}

var rebindSuffixes = []string{"nip.io", "sslip.io", "xip.io", "localtest.me", "lvh.me", "vcap.me", "lacolhost.com", "traefik.me"}

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")
	reserved = netip.MustParsePrefix("240.0.0.0/4")
	bench    = netip.MustParsePrefix("198.18.0.0/15")
	ietf     = netip.MustParsePrefix("192.0.0.0/24")
	siteLoc  = netip.MustParsePrefix("fec0::/10")
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	nat64l   = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFou = netip.MustParsePrefix("2002::/16")
	v4compat = netip.MustParsePrefix("::/96")
)

func (p webPolicy) check(raw string) []Finding {
	one := func(rule, detail string) []Finding { return []Finding{newFinding(rule, detail)} }
	if raw == "" || strings.ContainsFunc(raw, func(r rune) bool { return r <= 0x20 || r == 0x7f || invisibleRune(r) }) {
		return one(RuleURLMalformed, "empty URL or URL with spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return one(RuleURLMalformed, err.Error())
	}
	scheme := strings.ToLower(u.Scheme)
	if !slices.Contains(p.cfg.Schemes, scheme) {
		return one(RuleURLScheme, "scheme "+strconv.Quote(u.Scheme)+" is not allowed")
	}
	if u.Opaque != "" || u.Host == "" {
		return one(RuleURLMalformed, "URL has no host")
	}
	var fs []Finding
	if u.User != nil {
		fs = append(fs, newFinding(RuleURLUserinfo, "URL carries credentials"))
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return append(fs, newFinding(RuleURLMalformed, "bad port "+strconv.Quote(port)))
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return append(fs, newFinding(RuleURLMalformed, "URL has no host"))
	}
	if addr, ok := parseHostAddr(host); ok {
		if rule, bad := p.addrRule(addr); bad {
			fs = append(fs, newFinding(rule, "address "+addr.String()))
		}
		return fs
	}
	if slices.Contains(p.hosts, host) {
		return fs
	}
	if rule, why, bad := p.nameRule(host); bad {
		fs = append(fs, newFinding(rule, why))
	}
	return fs
}

func (p webPolicy) nameRule(host string) (rule, why string, bad bool) {
	for _, r := range host {
		if r >= 0x80 {
			return RuleURLMalformed, "non-ASCII host name " + strconv.Quote(host), true
		}
	}
	switch {
	case slices.Contains(metadataNames, host):
		if !p.cfg.AllowMetadata {
			return RuleURLMetadata, "metadata host " + host, true
		}
		return "", "", false
	case host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "localhost.localdomain" || host == "ip6-localhost":
		if !p.cfg.AllowLoopback {
			return RuleURLLoopback, "loopback host " + host, true
		}
		return "", "", false
	}
	for _, s := range rebindSuffixes {
		if host == s || strings.HasSuffix(host, "."+s) {
			return RuleURLLoopbackDNS, "host " + host + " maps to an address chosen by its name", true
		}
	}
	if !p.cfg.AllowPrivate {
		for _, s := range internalSuffixes {
			if strings.HasSuffix(host, s) {
				return RuleURLInternalName, "internal host name " + host, true
			}
		}
		if !strings.Contains(host, ".") {
			return RuleURLInternalName, "single-label host name " + host, true
		}
	}
	return "", "", false
}

// parseHostAddr parses an IP literal host, including the inet_aton forms
// that resolvers and browsers accept.
func parseHostAddr(host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, true
	}
	return parseInetAton(host)
}

func parseInetAton(s string) (netip.Addr, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, part := range parts {
		base := 10
		digits := part
		switch {
		case strings.HasPrefix(part, "0x") || strings.HasPrefix(part, "0X"):
			base, digits = 16, part[2:]
			if digits == "" {
				digits = "0"
			}
		case len(part) > 1 && part[0] == '0':
			base, digits = 8, part[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil || part == "" {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	n := len(vals)
	var ip uint64
	for i := 0; i < n-1; i++ {
		if vals[i] > 255 {
			return netip.Addr{}, false
		}
		ip |= vals[i] << (8 * (3 - i))
	}
	last := vals[n-1]
	if last >= 1<<(8*(5-n)) && n > 1 || n == 1 && last > 0xffffffff {
		return netip.Addr{}, false
	}
	ip |= last
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

// CheckAddr applies the WebFetch address policy to an address the fetcher
// is about to connect to. It returns the rule id and false when the address
// is not allowed.
func (g *Gate) CheckAddr(addr netip.Addr) (rule string, ok bool) {
	rule, bad := g.web.addrRule(addr)
	return rule, !bad
}

func (p webPolicy) addrRule(addr netip.Addr) (string, bool) {
	addr = addr.WithZone("").Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(addr) {
			return "", false
		}
	}
	if addr.Is6() {
		if v4, ok := embeddedV4(addr); ok {
			if rule, bad := p.addrRule(v4); bad {
				return rule, true
			}
		}
	}
	switch {
	case slices.Contains(metadataAddrs, addr):
		if !p.cfg.AllowMetadata {
			return RuleURLMetadata, true
		}
		return "", false
	case addr.IsLoopback() || addr.IsUnspecified() || thisNet.Contains(addr):
		if !p.cfg.AllowLoopback {
			return RuleURLLoopback, true
		}
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast():
		if !p.cfg.AllowLinkLocal {
			return RuleURLLinkLocal, true
		}
	case addr.IsPrivate() || cgnat.Contains(addr) || siteLoc.Contains(addr):
		if !p.cfg.AllowPrivate {
			return RuleURLPrivate, true
		}
	case addr.IsMulticast() || reserved.Contains(addr) || bench.Contains(addr) || ietf.Contains(addr) ||
		addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || addr.IsInterfaceLocalMulticast():
		return RuleURLReserved, true
	}
	return "", false
}

// embeddedV4 extracts the IPv4 address carried by NAT64, 6to4 and
// IPv4-compatible IPv6 addresses.
func embeddedV4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a) || nat64l.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFou.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	case v4compat.Contains(a) && !a.IsLoopback() && !a.IsUnspecified():
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	}
	return netip.Addr{}, false
}
