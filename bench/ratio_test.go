package bench

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// side is one half of a comparison: setup returns the loop body and a
// cleanup. The body is called once per iteration with the iteration index
// and returns an error if the answer was wrong.
type side struct {
	name  string
	setup func(tb testing.TB) (op func(i int) error, cleanup func())
}

// compare runs baseline and project as sub-benchmarks and prints the
// throughput ratio project/baseline.
func compare(b *testing.B, label string, baseline, project side, parallel bool) {
	var perOp [2]time.Duration
	for i, s := range []side{baseline, project} {
		i, s := i, s
		b.Run(s.name, func(b *testing.B) {
			op, cleanup := s.setup(b)
			defer cleanup()
			b.ReportAllocs()
			b.ResetTimer()
			if parallel {
				b.RunParallel(func(pb *testing.PB) {
					n := 0
					for pb.Next() {
						if err := op(n); err != nil {
							b.Error(err)
							return
						}
						n++
					}
				})
			} else {
				for n := 0; n < b.N; n++ {
					if err := op(n); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			perOp[i] = b.Elapsed() / time.Duration(b.N)
		})
	}
	if perOp[0] > 0 && perOp[1] > 0 {
		fmt.Fprintf(os.Stdout, "RATIO %-28s %s %v/op  %s %v/op  project/baseline throughput = %.2fx\n",
			label, baseline.name, perOp[0], project.name, perOp[1], float64(perOp[0])/float64(perOp[1]))
	}
}

// smoke runs a side's loop a few times, checking its answers.
func smoke(t *testing.T, s side) {
	t.Helper()
	op, cleanup := s.setup(t)
	defer cleanup()
	for i := 0; i < 20; i++ {
		if err := op(i); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
}
