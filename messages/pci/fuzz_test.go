package pci

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
)

// fuzzSeeds returns envelopes this test signed, encoded, and the set of
// (signed message, signature) pairs they carry.
func fuzzSeeds(t testing.TB) ([][]byte, map[string]bool) {
	rnd := &countingReader{}
	made := map[string]bool{}
	var out [][]byte
	add := func(env *messages.Envelope) {
		b, err := proto.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		m := SignedMessage(env)
		made[string(m[:])+string(env.Signature)] = true
		out = append(out, b)
	}
	key := testKey("fuzz")
	add(sealAt(t, key, testCard(), time.Minute, testNow, rnd))
	add(sealAt(t, key, []byte(`{"task":"summarise","input":"quarterly report"}`), 10*time.Minute, testNow.Add(-time.Second), rnd))
	e, err := Seal(key, messages.AgentType_AGENT_TYPE_SOVEREIGN, "bizra.v1.TaskResult", testCard(), 0.99, 0.9, time.Second, testNow, rnd)
	if err != nil {
		t.Fatal(err)
	}
	add(e)
	return out, made
}

// FuzzOpen: decoding and verifying arbitrary bytes never panics, always
// yields a reject code on failure, and never accepts a (message,
// signature) pair this test did not sign.
func FuzzOpen(f *testing.F) {
	seeds, made := fuzzSeeds(f)
	for i, s := range seeds {
		v, err := NewVerifier(DefaultConfig())
		if err != nil {
			f.Fatal(err)
		}
		if _, err := v.Open(s, testNow); err != nil {
			f.Fatalf("seed %d is not accepted: %v", i, err)
		}
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := NewVerifier(Config{
			IhsanThreshold: 0.95, SNRThreshold: 0.85, MeasureSNR: true,
			ClockSkew: 30 * time.Second, MaxTTL: 10 * time.Minute, ReplayCacheSize: 8,
		})
		if err != nil {
			t.Fatal(err)
		}
		env, err := v.Open(data, testNow)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("error without a reject code: %v", err)
			}
			if env != nil {
				t.Fatal("envelope returned with an error")
			}
			return
		}
		m := SignedMessage(env)
		if !made[string(m[:])+string(env.Signature)] {
			t.Fatalf("accepted an envelope this test never signed: %v", env)
		}
		// The same bytes again are a replay.
		if _, err := v.Open(data, testNow); Code(err) != CodeTTLExpired {
			t.Fatalf("second Open: %v", err)
		}
		// Batch verification agrees.
		v2, _ := NewVerifier(v.Config())
		if errs := v2.VerifyBatch([]*messages.Envelope{env}, testNow); errs[0] != nil {
			t.Fatalf("batch rejects what single accepted: %v", errs[0])
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzOpen when
// PCI_WRITE_FUZZ_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("PCI_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set PCI_WRITE_FUZZ_CORPUS=1 to regenerate the corpus")
	}
	seeds, _ := fuzzSeeds(t)
	valid := seeds[0]
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0x40
	extra := []struct {
		name string
		data []byte
	}{
		{"truncated", valid[:len(valid)-7]},
		{"flipped", flipped},
		{"empty", nil},
		{"garbage", []byte("\x0a\xff\xff\xff\xff\x0f")},
		{"unknown_field", append(bytes.Clone(valid), 0xa2, 0x06, 0x01, 0x00)},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range seeds {
		write(fmt.Sprintf("valid_%d", i), s)
	}
	for _, e := range extra {
		write(e.name, e.data)
	}
}
