package pci

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
)

func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestSNRSignal(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("verifier.go")
	if err != nil {
		t.Fatal(err)
	}
	small, _ := proto.Marshal(&messages.TaskCard{Capability: "echo", Input: []byte("what is the status of build 4412?"), MediaType: "text/plain"})
	for name, p := range map[string][]byte{
		"taskcard":     testCard(),
		"small card":   small,
		"package doc":  doc,
		"go source":    src,
		"json request": []byte(`{"task":"summarise","input":"the quarterly report shows revenue up 12% and costs flat","priority":3}`),
		"sentence":     []byte("please summarise the attached document"),
	} {
		if s := SNR(p); s < DefaultSNRThreshold {
			t.Errorf("%s (%d bytes): SNR %.3f < %.2f", name, len(p), s, DefaultSNRThreshold)
		}
	}
}

func TestSNRNoise(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		p   []byte
		max float64
	}{
		"empty":             {nil, 0},
		"one byte":          {[]byte{'a'}, 0},
		"zeros 4k":          {make([]byte, 4096), 0.05},
		"zeros 64":          {make([]byte, 64), 0.05},
		"ab repeated":       {bytes.Repeat([]byte("ab"), 2000), 0.05},
		"noise 4k":          {noise(4096, 2), 0.05},
		"noise 1M":          {noise(1<<20, 3), 0.05},
		"doc repeated x100": {bytes.Repeat(doc[:600], 100), 0.1},
		"card repeated x50": {bytes.Repeat(testCard(), 50), 0.2},
	}
	for name, c := range cases {
		if s := SNR(c.p); s > c.max {
			t.Errorf("%s: SNR %.3f > %.2f", name, s, c.max)
		}
	}
	// Mid-size noise is not yet certain to be noise, but stays below the bar.
	if s := SNR(noise(512, 4)); s >= DefaultSNRThreshold {
		t.Errorf("noise 512: SNR %.3f", s)
	}
	// Short payloads are judged on too little evidence to be called noise:
	// a short card must pass whatever its bytes look like.
	for _, n := range []int{16, 32, 64} {
		if s := SNR(noise(n, uint64(n))); s < DefaultSNRThreshold {
			t.Errorf("short payload of %d random bytes: SNR %.3f rejected", n, s)
		}
	}
}

func TestSNRProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 2000 {
		n := r.IntN(3000)
		p := make([]byte, n)
		alpha := 1 + r.IntN(256)
		for j := range p {
			p[j] = byte(r.IntN(alpha))
		}
		s := SNR(p)
		if math.IsNaN(s) || s < 0 || s > 1 {
			t.Fatalf("case %d: SNR %v outside [0,1]", i, s)
		}
		if s2 := SNR(p); s2 != s {
			t.Fatalf("case %d: SNR not deterministic", i)
		}
	}
	// More repetition never raises the score.
	doc := testCard()
	prev := SNR(doc)
	for k := 2; k <= 64; k *= 2 {
		s := SNR(bytes.Repeat(doc, k))
		if s > prev+1e-12 {
			t.Fatalf("x%d: SNR rose from %.3f to %.3f", k, prev, s)
		}
		prev = s
	}
	if allocs := testing.AllocsPerRun(20, func() { SNR(doc) }); allocs != 0 {
		t.Fatalf("SNR allocates %v times", allocs)
	}
}

func BenchmarkSNRTaskCard(b *testing.B) {
	p := testCard()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		SNR(p)
	}
}
