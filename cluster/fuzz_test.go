package cluster

import (
	"bytes"
	"testing"
)

// FuzzDecodeMeta: gossiped metadata from any member is untrusted input;
// DecodeMeta never panics, and what it accepts encodes back to metadata
// that decodes to the same value.
func FuzzDecodeMeta(f *testing.F) {
	good, _ := Meta{NodeID: "a", Remote: "127.0.0.1:1", ActorID: "x", Key: "ed25519:k", Capabilities: []string{"echo"}, Kinds: []string{"session"}}.Encode()
	for _, seed := range [][]byte{good, []byte(`{}`), []byte(`{"id":""}`), []byte(`null`), []byte(`{"id":"a","caps":[1]}`), {0xff}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		if m.NodeID == "" {
			t.Fatal("accepted metadata without a node id")
		}
		enc, err := m.Encode()
		if err != nil {
			return // too large to gossip: refused on the way out
		}
		again, err := DecodeMeta(enc)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		enc2, _ := again.Encode()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable: %s vs %s", enc, enc2)
		}
	})
}
