package session

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/zeebo/blake3"
)

func TestNodeEncodingIsTheDocumentedLayout(t *testing.T) {
	p1, p2, pl := Hash{0xaa}, Hash{0x01, 0x02}, HashPayload([]byte("payload"))
	n, err := NewNode(Computing, t0, []Hash{p1, p2}, pl)
	if err != nil {
		t.Fatal(err)
	}
	// Build the layout by hand from the specification in node.go.
	var want []byte
	want = append(want, 25)
	want = append(want, "bizra/session/dag-node/v1"...)
	want = append(want, 3)
	want = binary.BigEndian.AppendUint64(want, uint64(t0.UnixNano()))
	want = append(want, 0, 0, 0, 2)
	want = append(want, p2[:]...) // ascending: 0x01.. before 0xaa..
	want = append(want, p1[:]...)
	want = append(want, pl[:]...)
	if got := n.Encode(); !bytes.Equal(got, want) {
		t.Fatalf("encoding\n got %x\nwant %x", got, want)
	}
	if n.Hash() != Hash(blake3.Sum256(want)) {
		t.Fatal("node hash is not BLAKE3-256 of the encoding")
	}
	// Payload hashing is domain-separated from plain BLAKE3 and from nodes.
	if HashPayload(want) == Hash(blake3.Sum256(want)) {
		t.Fatal("payload hash is not domain-separated")
	}
	var ph []byte
	ph = append(ph, 24)
	ph = append(ph, "bizra/session/payload/v1"...)
	ph = binary.BigEndian.AppendUint64(ph, 7)
	ph = append(ph, "payload"...)
	if pl != Hash(blake3.Sum256(ph)) {
		t.Fatal("payload hash does not follow its documented layout")
	}
	if RootPayload("a") == RootPayload("b") || RootPayload("a") == HashPayload([]byte("a")) {
		t.Fatal("root payload does not separate ids or domains")
	}
}

func TestNodeRoundTripAndRejections(t *testing.T) {
	var parents []Hash
	for i := range 5 {
		parents = append(parents, HashPayload([]byte{byte(i)}))
	}
	for k := 0; k <= len(parents); k++ {
		n, err := NewNode(Active, at(k), parents[:k], Hash{byte(k)})
		if err != nil {
			t.Fatal(err)
		}
		enc := n.Encode()
		back, err := DecodeNode(enc)
		if err != nil {
			t.Fatalf("%d parents: %v", k, err)
		}
		if back.Hash() != n.Hash() || !bytes.Equal(back.Encode(), enc) {
			t.Fatalf("%d parents: round trip changed the node", k)
		}
		// Every truncation and every extension is rejected.
		for cut := 0; cut < len(enc); cut++ {
			if _, err := DecodeNode(enc[:cut]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%d parents: truncated to %d: %v", k, cut, err)
			}
		}
		if _, err := DecodeNode(append(enc[:len(enc):len(enc)], 0)); !errors.Is(err, ErrMalformed) {
			t.Fatal("extended encoding accepted")
		}
		// Every single-bit flip either fails to decode or changes the hash.
		for i := range enc {
			for bit := range 8 {
				f := bytes.Clone(enc)
				f[i] ^= 1 << bit
				if m, err := DecodeNode(f); err == nil && m.Hash() == n.Hash() {
					t.Fatalf("flip byte %d bit %d: same node", i, bit)
				}
			}
		}
	}
	n, _ := NewNode(Active, t0, parents[:2], Hash{})
	bad := func(name string, mut func([]byte) []byte) {
		t.Helper()
		if _, err := DecodeNode(mut(n.Encode())); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad("context length", func(b []byte) []byte { b[0]++; return b })
	bad("context", func(b []byte) []byte { b[5] = 'X'; return b })
	bad("state 0", func(b []byte) []byte { b[26] = 0; return b })
	bad("state 6", func(b []byte) []byte { b[26] = 6; return b })
	bad("count too big", func(b []byte) []byte { b[38] = MaxParents + 1; return b })
	bad("count mismatch", func(b []byte) []byte { b[38] = 1; return b })
	bad("parents unsorted", func(b []byte) []byte {
		p := b[39:]
		var tmp [32]byte
		copy(tmp[:], p[:32])
		copy(p[:32], p[32:64])
		copy(p[32:64], tmp[:])
		return b
	})
	bad("parents equal", func(b []byte) []byte { copy(b[39+32:], b[39:39+32]); return b })
}

func TestNewNodeRejects(t *testing.T) {
	if _, err := NewNode(0, t0, nil, Hash{}); !errors.Is(err, ErrUnknownState) {
		t.Error(err)
	}
	if _, err := NewNode(Active, t0, []Hash{{1}, {1}}, Hash{}); !errors.Is(err, ErrParents) {
		t.Error(err)
	}
	if _, err := NewNode(Active, t0, make([]Hash, MaxParents+1), Hash{}); !errors.Is(err, ErrParents) {
		t.Error(err)
	}
	if _, err := NewNode(Active, minTime.Add(-1), nil, Hash{}); !errors.Is(err, ErrTimestamp) {
		t.Error(err)
	}
	in := []Hash{{3}, {1}, {2}}
	n, err := NewNode(Active, t0, in, Hash{})
	if err != nil || n.Parents[0] != (Hash{1}) || in[0] != (Hash{3}) {
		t.Errorf("NewNode must sort a copy of the parents: %v %v", n.Parents, in)
	}
	if !n.Time().Equal(t0) {
		t.Error("time round trip")
	}
}

func TestParseHash(t *testing.T) {
	h := HashPayload([]byte("x"))
	back, err := ParseHash(h.String())
	if err != nil || back != h {
		t.Fatal(err)
	}
	for _, bad := range []string{"", h.String()[:63], h.String() + "0", "G" + h.String()[1:],
		"A" + h.String()[1:], " " + h.String()[1:]} {
		if _, err := ParseHash(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseHash(%q) = %v", bad, err)
		}
	}
}
