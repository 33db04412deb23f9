package durable

import (
	"bytes"
	"testing"

	"github.com/bizra/bizra/actors/session"
)

// FuzzDecodeCheckpoint: stored checkpoint records are read back at every
// start; decodeCheckpoint never panics and round-trips what it accepts.
func FuzzDecodeCheckpoint(f *testing.F) {
	good := encodeCheckpoint(session.SignedCheckpoint{Checkpoint: session.Checkpoint{Origin: "node-a", Size: 7, Timestamp: 42},
		Signature: make([]byte, 64)})
	for _, seed := range [][]byte{good, good[:10], {}, {0, 0}, {0xff, 0xff}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := decodeCheckpoint(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeCheckpoint(sc), b) {
			t.Fatal("accepted a record that does not encode back to itself")
		}
	})
}
