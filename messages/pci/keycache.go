package pci

import (
	"crypto/ed25519"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// keyCacheSize bounds the expanded-key cache (about 1.5 KiB an entry).
const keyCacheSize = 1024

// keyCache keeps signer keys in the expanded form that verification uses,
// so a signer seen before costs no point decompression or table build.
// When full it is emptied: a node has few distinct signers, and an
// attacker cycling keys only loses the speed-up.
type keyCache struct {
	mu   sync.RWMutex
	keys map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey
}

// get returns pub expanded, or nil when pub does not decode to a point
// (such a key can never verify).
func (c *keyCache) get(pub []byte) *voi.ExpandedPublicKey {
	k := [ed25519.PublicKeySize]byte(pub)
	c.mu.RLock()
	x, ok := c.keys[k]
	c.mu.RUnlock()
	if ok {
		return x
	}
	x, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		x = nil
	}
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= keyCacheSize {
		c.keys = make(map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey)
	}
	c.keys[k] = x
	c.mu.Unlock()
	return x
}
