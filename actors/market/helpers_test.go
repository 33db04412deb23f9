package market

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/store"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// testKey returns a deterministic key for n.
func testKey(n int) ed25519.PrivateKey {
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[:], uint64(n)+1)
	h := sha256.Sum256(seed[:])
	return ed25519.NewKeyFromSeed(h[:])
}

func keyID(k ed25519.PrivateKey) string { return pci.PublicKeyID(k.Public().(ed25519.PublicKey)) }

// ident returns the identity of test key n.
func ident(n int) string { return keyID(testKey(n)) }

var nodeKey = testKey(1000)

func storeConfig() store.Config {
	c := store.DefaultConfig()
	c.CacheSize = 1 << 20
	c.MemTableSize = 1 << 20
	return c
}

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir, storeConfig())
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testConfig: genesis for ident(0), no timer, the test clock.
func testConfig(clk *clock) Config {
	cfg := DefaultConfig()
	cfg.GenesisHolder = ident(0)
	cfg.SettleInterval = 0
	cfg.Now = clk.Now
	return cfg
}

func newSystem(t testing.TB) *actor.ActorSystem {
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	return sys
}

// openMarket opens a market in dir (a fresh store) with cfg.
func openMarket(t testing.TB, s *store.Store, cfg Config, sys *actor.ActorSystem) *Market {
	t.Helper()
	m, err := Open(s, nodeKey, cfg, sys)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(m.Stop)
	return m
}

// storeDigest hashes every key and value under the market's prefixes.
func storeDigest(t testing.TB, s *store.Store) [32]byte {
	t.Helper()
	h := sha256.New()
	for _, p := range []string{store.PrefixLedger, store.PrefixLicense} {
		err := s.Scan([]byte(p), func(k, v []byte) error {
			var n [8]byte
			binary.BigEndian.PutUint64(n[:], uint64(len(k)))
			h.Write(n[:])
			h.Write(k)
			binary.BigEndian.PutUint64(n[:], uint64(len(v)))
			h.Write(n[:])
			h.Write(v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// sumBalances is the total of every balance.
func sumBalances(l *Ledger) Micro {
	var s Micro
	for _, b := range l.Balances() {
		s += b
	}
	return s
}

// giniNaive is the O(n²) definition: Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄).
func giniNaive(xs []Micro) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	var total, diff float64
	for _, x := range xs {
		total += float64(max(x, 0))
	}
	if total == 0 {
		return 0
	}
	for _, a := range xs {
		for _, b := range xs {
			d := float64(max(a, 0)) - float64(max(b, 0))
			if d < 0 {
				d = -d
			}
			diff += d
		}
	}
	return diff / (2 * float64(n) * total)
}
