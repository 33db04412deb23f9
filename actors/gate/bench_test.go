package gate

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkGateBenign runs Check over the everyday command table; one
// iteration is one decision. It reports p99 latency per decision as well.
func BenchmarkGateBenign(b *testing.B) {
	g := testGate(b)
	cases := readTable(b, "shell_allow.txt", false)
	reqs := make([]Request, len(cases))
	for i, c := range cases {
		reqs[i] = bash(c.cmd)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d := g.Check(reqs[i%len(reqs)], testNow)
		lat = append(lat, time.Since(start))
		if !d.Allowed() {
			b.Fatalf("%q blocked: %s", reqs[i%len(reqs)].Input.Command, d.Reason)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns/op")
}

// BenchmarkGateBypass runs Check over the bypass table.
func BenchmarkGateBypass(b *testing.B) {
	g := testGate(b)
	cases := readTable(b, "shell_block.txt", true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := g.Check(bash(cases[i%len(cases)].cmd), testNow); d.Allowed() {
			b.Fatal("allowed")
		}
	}
}

// BenchmarkScanSecrets scans a 4 KiB source file without secrets.
func BenchmarkScanSecrets(b *testing.B) {
	g := testGate(b)
	src := ""
	for len(src) < 4096 {
		src += "func handler(w http.ResponseWriter, r *http.Request) {\n\tname := r.URL.Query().Get(\"name\")\n\tfmt.Fprintf(w, \"hello %s\", name)\n}\n"
	}
	req := write("handler.go", src)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := g.Check(req, testNow); !d.Allowed() {
			b.Fatal(d.Reason)
		}
	}
}
