package pci

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
)

// Envelope verification throughput: Verify one at a time, VerifyBatch of
// 64, and crypto/ed25519.Verify of the same signed messages as the
// baseline. Each reports envelopes/s; the Parallel variants use every
// GOMAXPROCS worker.

const benchSetSize = 2048

func benchEnvelopes(b *testing.B) []*messages.Envelope {
	b.Helper()
	rnd := &countingReader{}
	key := testKey("bench")
	p := testCard()
	envs := make([]*messages.Envelope, benchSetSize)
	for i := range envs {
		envs[i] = sealAt(b, key, p, 5*time.Minute, testNow, rnd)
	}
	return envs
}

func benchVerifier(b *testing.B) *Verifier {
	cfg := DefaultConfig()
	cfg.ReplayCacheSize = benchSetSize
	v, err := NewVerifier(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "envelopes/s")
}

func BenchmarkVerifySingle(b *testing.B) {
	envs := benchEnvelopes(b)
	v := benchVerifier(b)
	n := 0
	for b.Loop() {
		if n%benchSetSize == 0 && n > 0 {
			v = benchVerifier(b) // fresh replay cache for the next pass
		}
		if err := v.Verify(envs[n%benchSetSize], testNow); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n)
}

func BenchmarkVerifyBatch64(b *testing.B) {
	envs := benchEnvelopes(b)
	v := benchVerifier(b)
	n := 0
	for b.Loop() {
		if n%benchSetSize == 0 && n > 0 {
			v = benchVerifier(b)
		}
		off := n % benchSetSize
		for i, err := range v.VerifyBatch(envs[off:off+64], testNow) {
			if err != nil {
				b.Fatal(i, err)
			}
		}
		n += 64
	}
	reportRate(b, n)
}

func BenchmarkStdlibEd25519Verify(b *testing.B) {
	envs := benchEnvelopes(b)
	msgs := make([][]byte, len(envs))
	for i, e := range envs {
		m := SignedMessage(e)
		msgs[i] = m[:]
	}
	n := 0
	for b.Loop() {
		e := envs[n%benchSetSize]
		if !ed25519.Verify(e.SignerPublicKey, msgs[n%benchSetSize], e.Signature) {
			b.Fatal("invalid")
		}
		n++
	}
	reportRate(b, n)
}

func BenchmarkVerifySingleParallel(b *testing.B) {
	envs := benchEnvelopes(b)
	b.ResetTimer()
	total := parallelCount(b, func(v *Verifier, off int) int {
		if err := v.Verify(envs[off], testNow); err != nil {
			b.Error(err)
		}
		return 1
	})
	reportRate(b, total)
}

func BenchmarkVerifyBatch64Parallel(b *testing.B) {
	envs := benchEnvelopes(b)
	b.ResetTimer()
	total := parallelCount(b, func(v *Verifier, off int) int {
		off -= off % 64
		for _, err := range v.VerifyBatch(envs[off:off+64], testNow) {
			if err != nil {
				b.Error(err)
			}
		}
		return 64
	})
	reportRate(b, total)
}

func BenchmarkStdlibEd25519VerifyParallel(b *testing.B) {
	envs := benchEnvelopes(b)
	msgs := make([][]byte, len(envs))
	for i, e := range envs {
		m := SignedMessage(e)
		msgs[i] = m[:]
	}
	b.ResetTimer()
	total := parallelCount(b, func(_ *Verifier, off int) int {
		if !ed25519.Verify(envs[off].SignerPublicKey, msgs[off], envs[off].Signature) {
			b.Error("invalid")
		}
		return 1
	})
	reportRate(b, total)
}

// parallelCount runs step on every worker, each with its own verifier and
// position in the envelope set, and returns the envelopes processed.
func parallelCount(b *testing.B, step func(v *Verifier, off int) int) int {
	counts := make(chan int, 64)
	b.RunParallel(func(pb *testing.PB) {
		v := benchVerifier(b)
		n := 0
		for pb.Next() {
			off := n % benchSetSize
			if off == 0 && n > 0 {
				v = benchVerifier(b)
			}
			k := step(v, off)
			if k > 1 && off+k > benchSetSize {
				off = 0
			}
			n += k
		}
		counts <- n
	})
	close(counts)
	total := 0
	for c := range counts {
		total += c
	}
	return total
}
