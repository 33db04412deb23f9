package bench

// Benchmarks of the local inference engine (gpu/...) on a model with
// Qwen2.5-0.5B's dimensions and random Q8_0 weights:
//
//	go test ./bench -run XXX -bench 'Engine' -benchtime 3x
//
// Reported metrics: tok/s (aggregate over the batch), bound_tok/s (the
// single-stream memory-bandwidth bound: measured read bandwidth divided by
// the weight bytes read per token) and pct_of_bound.

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/bizra/bizra/gpu/gguf"
	"github.com/bizra/bizra/gpu/model"
)

var (
	engineFile = sync.OnceValues(func() (*gguf.File, error) {
		w, err := model.GenWriter(model.GenConfig{Arch: model.ArchQwen2, Quant: "q8_0", Dims: model.DimsQwen05B, Seed: 1})
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			return nil, err
		}
		return gguf.Parse(buf.Bytes())
	})
	bandwidth = sync.OnceValue(measureReadBandwidth)
)

// measureReadBandwidth streams a 512 MiB buffer with one goroutine per
// core and returns the best of three passes in bytes per second.
func measureReadBandwidth() float64 {
	const size = 512 << 20
	buf := make([]uint64, size/8)
	for i := range buf {
		buf[i] = uint64(i)
	}
	threads := runtime.GOMAXPROCS(0)
	best := 0.0
	var sink uint64
	for pass := 0; pass < 3; pass++ {
		var wg sync.WaitGroup
		sums := make([]uint64, threads)
		start := time.Now()
		per := len(buf) / threads
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(t int) {
				defer wg.Done()
				var s0, s1, s2, s3 uint64
				part := buf[t*per : (t+1)*per]
				for i := 0; i+4 <= len(part); i += 4 {
					s0 += part[i]
					s1 += part[i+1]
					s2 += part[i+2]
					s3 += part[i+3]
				}
				sums[t] = s0 + s1 + s2 + s3
			}(t)
		}
		wg.Wait()
		bw := float64(size) / time.Since(start).Seconds()
		best = max(best, bw)
		for _, s := range sums {
			sink += s
		}
	}
	_ = sink
	return best
}

func loadEngine(b *testing.B, be model.Backend) *model.Model {
	b.Helper()
	f, err := engineFile()
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.FromGGUF(f, be)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func backends(b *testing.B) map[string]func() (model.Backend, error) {
	return map[string]func() (model.Backend, error){
		"cpu": func() (model.Backend, error) { return model.NewCPU(0), nil },
		"opencl": func() (model.Backend, error) {
			o, err := model.NewOpenCL()
			if err != nil {
				return nil, err
			}
			return o, nil
		},
	}
}

// BenchmarkEngineReadBandwidth reports the machine's streaming read
// bandwidth as measured here.
func BenchmarkEngineReadBandwidth(b *testing.B) {
	for b.Loop() {
		_ = bandwidth()
	}
	b.ReportMetric(bandwidth()/1e9, "GB/s")
}

// BenchmarkEngineQ8MatVec is the Q8_0 mat-vec on a 4096x14336 matrix
// (14336 columns, 4096 rows); throughput is weight bytes per second.
func BenchmarkEngineQ8MatVec(b *testing.B) {
	const rows, cols = 4096, 14336
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	data, err := gguf.Quantize(gguf.TypeQ8_0, v)
	if err != nil {
		b.Fatal(err)
	}
	w := &model.Weight{Name: "w", Type: gguf.TypeQ8_0, Rows: rows, Cols: cols, Data: data}
	for _, n := range []int{1, 8} {
		x := make([]float32, n*cols)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		y := make([]float32, n*rows)
		for name, mk := range backends(b) {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				be, err := mk()
				if err != nil {
					b.Skipf("%s: %v", name, err)
				}
				defer be.Close()
				if err := be.MatMul(y, w, x, n); err != nil { // warm up / upload
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for b.Loop() {
					if err := be.MatMul(y, w, x, n); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(rows*cols*n)/sec/1e9, "GFLOPS")
				b.ReportMetric(sec*1e3, "ms/op")
			})
		}
	}
}

// BenchmarkEngineDecode measures decode steps of `batch` sequences at once
// (each with a 16-token prompt already in its cache).
func BenchmarkEngineDecode(b *testing.B) {
	for name, mk := range backends(b) {
		be, err := mk()
		if err != nil {
			b.Logf("%s backend unavailable: %v", name, err)
			continue
		}
		m := loadEngine(b, be)
		bound := bandwidth() / float64(m.WeightBytes())
		for _, batch := range []int{1, 4, 8, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				seqs := make([]*model.Sequence, batch)
				var items []model.Item
				for i := range seqs {
					seqs[i] = m.NewSequence(512)
					for j := 0; j < 16; j++ {
						items = append(items, model.Item{Seq: seqs[i], Token: 100 + i + j, Logits: j == 15})
					}
				}
				logits := make([]float32, batch*m.P.Vocab)
				if err := m.Forward(items, logits); err != nil {
					b.Fatal(err)
				}
				step := make([]model.Item, batch)
				b.ResetTimer()
				for b.Loop() {
					for i := range step {
						if seqs[i].Pos >= seqs[i].MaxPos {
							seqs[i].Pos = 16
						}
						step[i] = model.Item{Seq: seqs[i], Token: model.Argmax(logits[i*m.P.Vocab : (i+1)*m.P.Vocab]), Logits: true}
					}
					if err := m.Forward(step, logits); err != nil {
						b.Fatal(err)
					}
				}
				tps := float64(batch*b.N) / b.Elapsed().Seconds()
				b.ReportMetric(tps, "tok/s")
				b.ReportMetric(bound, "bound_tok/s")
				b.ReportMetric(100*tps/bound/float64(batch), "pct_of_bound_per_stream")
			})
		}
		be.Close()
	}
}

// BenchmarkEnginePrompt measures prompt processing: `batch` sequences with
// 32-token prompts in one forward pass.
func BenchmarkEnginePrompt(b *testing.B) {
	for name, mk := range backends(b) {
		be, err := mk()
		if err != nil {
			b.Logf("%s backend unavailable: %v", name, err)
			continue
		}
		m := loadEngine(b, be)
		for _, batch := range []int{1, 4, 8, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				seqs := make([]*model.Sequence, batch)
				for i := range seqs {
					seqs[i] = m.NewSequence(64)
				}
				logits := make([]float32, batch*m.P.Vocab)
				items := make([]model.Item, 0, batch*32)
				b.ResetTimer()
				for b.Loop() {
					items = items[:0]
					for i, s := range seqs {
						s.Reset()
						for j := 0; j < 32; j++ {
							items = append(items, model.Item{Seq: s, Token: 200 + i + j, Logits: j == 31})
						}
					}
					if err := m.Forward(items, logits); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(32*batch*b.N)/b.Elapsed().Seconds(), "tok/s")
			})
		}
		be.Close()
	}
}
