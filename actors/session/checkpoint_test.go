package session

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"testing"
)

func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func TestCheckpointMessageLayout(t *testing.T) {
	c := Checkpoint{Origin: "node-a", Size: 7, Root: Hash{9}, Timestamp: 42}
	var want []byte
	want = append(want, 27)
	want = append(want, "bizra/session/checkpoint/v1"...)
	want = binary.BigEndian.AppendUint32(want, 6)
	want = append(want, "node-a"...)
	want = binary.BigEndian.AppendUint64(want, 7)
	want = append(want, c.Root[:]...)
	want = binary.BigEndian.AppendUint64(want, 42)
	if !bytes.Equal(c.SignedMessage(), want) {
		t.Fatalf("signed message\n got %x\nwant %x", c.SignedMessage(), want)
	}
}

func TestSignedCheckpoints(t *testing.T) {
	pub, priv := testKey(1)
	otherPub, _ := testKey(2)
	l := testLog(t)
	older := SignCheckpoint(priv, Checkpoint{Origin: "node-a", Size: 10, Root: refRoot(l.leaves[:10]), Timestamp: at(1).UnixNano()})
	newer := SignCheckpoint(priv, l.Checkpoint("node-a", at(2)))
	if newer.Size != maxLeaves || newer.Root != refRoot(l.leaves) {
		t.Fatalf("checkpoint %+v", newer.Checkpoint)
	}
	if err := VerifyCheckpoint(pub, newer); err != nil {
		t.Fatal(err)
	}
	if err := VerifyCheckpoint(otherPub, newer); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("other key: %v", err)
	}
	if err := VerifyCheckpoint(pub[:31], newer); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("short key: %v", err)
	}
	mutations := map[string]func(*SignedCheckpoint){
		"origin":    func(c *SignedCheckpoint) { c.Origin = "node-b" },
		"size":      func(c *SignedCheckpoint) { c.Size++ },
		"root":      func(c *SignedCheckpoint) { c.Root[31] ^= 1 },
		"timestamp": func(c *SignedCheckpoint) { c.Timestamp++ },
		"short sig": func(c *SignedCheckpoint) { c.Signature = c.Signature[:63] },
	}
	for name, mut := range mutations {
		c := newer
		c.Signature = bytes.Clone(newer.Signature)
		mut(&c)
		if err := VerifyCheckpoint(pub, c); !errors.Is(err, ErrCheckpoint) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	for i := range newer.Signature {
		c := newer
		c.Signature = bytes.Clone(newer.Signature)
		c.Signature[i] ^= 0x01
		if err := VerifyCheckpoint(pub, c); !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("signature byte %d flipped: %v", i, err)
		}
	}

	// Inclusion of a session head under a signed checkpoint.
	entry := LogEntry{SessionID: "s-3", Head: HashPayload([]byte{3}), State: Committed, Timestamp: 3}
	path, _ := l.InclusionProof(3, newer.Size)
	if err := VerifyEntryInclusion(pub, newer, entry, 3, path); err != nil {
		t.Fatal(err)
	}
	entry.Timestamp++
	if err := VerifyEntryInclusion(pub, newer, entry, 3, path); !errors.Is(err, ErrLogProof) {
		t.Fatalf("altered entry: %v", err)
	}

	// The newer checkpoint extends the older one.
	cp, _ := l.ConsistencyProof(older.Size, newer.Size)
	if err := VerifyExtension(pub, older, newer, cp); err != nil {
		t.Fatal(err)
	}
	// A rewritten log signs a head that does not extend the older one.
	leaves := append([]Hash(nil), l.leaves...)
	leaves[4][0] ^= 1
	forged := NewLogFromLeafHashes(leaves)
	fnew := SignCheckpoint(priv, forged.Checkpoint("node-a", at(3)))
	fcp, _ := forged.ConsistencyProof(older.Size, fnew.Size)
	if err := VerifyExtension(pub, older, fnew, fcp); !errors.Is(err, ErrLogProof) {
		t.Fatalf("rewritten history: %v", err)
	}
	otherOrigin := SignCheckpoint(priv, l.Checkpoint("node-b", at(2)))
	if err := VerifyExtension(pub, older, otherOrigin, cp); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("other origin: %v", err)
	}
}
