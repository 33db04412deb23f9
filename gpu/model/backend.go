package model

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/bizra/bizra/gpu/gguf"
)

// Backend multiplies weight matrices by batches of activation vectors. The
// rest of the forward pass runs on the CPU.
type Backend interface {
	// Name identifies the backend ("cpu", "opencl: <device>").
	Name() string
	// MatMul computes y[b*w.Rows+r] = sum_c W[r][c] * x[b*w.Cols+c] for
	// every b < n: n activation vectors times one weight matrix, reading
	// the weights once.
	MatMul(y []float32, w *Weight, x []float32, n int) error
	// Close releases the backend's resources; safe to call twice.
	Close() error
}

// CPU is the CPU backend: rows are split across goroutines, each owned by
// the MatMul call that starts it and finished before it returns. On amd64
// with AVX2/FMA/F16C the inner loops are assembly; elsewhere portable Go.
type CPU struct {
	threads int
	exact   bool
}

// CPUConfig configures the CPU backend.
type CPUConfig struct {
	// Threads is the number of goroutines per matmul; 0 means GOMAXPROCS.
	Threads int
	// ExactActivations keeps activations in float32 when multiplying by
	// Q8_0 weights. By default (false) they are quantised to 8 bits per
	// block of 32, as ggml does, and multiplied with integer SIMD
	// instructions: about twice the throughput, at the cost of a small
	// error (see TestActivationQuantisationError). Without SIMD support
	// the float32 path is always used.
	ExactActivations bool
}

// DefaultCPUConfig uses every core and quantised activations.
func DefaultCPUConfig() CPUConfig { return CPUConfig{} }

// Validate checks the fields.
func (c CPUConfig) Validate() error {
	if c.Threads < 0 {
		return fmt.Errorf("%w: Threads %d", ErrBadConfig, c.Threads)
	}
	return nil
}

// NewCPUWith returns a CPU backend for cfg.
func NewCPUWith(cfg CPUConfig) (*CPU, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := NewCPU(cfg.Threads)
	c.exact = cfg.ExactActivations
	return c, nil
}

// NewCPU returns a CPU backend with the default configuration and threads
// goroutines per matmul (GOMAXPROCS when threads <= 0).
func NewCPU(threads int) *CPU {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &CPU{threads: threads}
}

// Name implements Backend.
func (c *CPU) Name() string { return "cpu" }

// Close implements Backend.
func (c *CPU) Close() error { return nil }

// minParallelWork is the multiply-add count below which a matmul runs on
// the calling goroutine.
const minParallelWork = 1 << 16

// MatMul implements Backend.
func (c *CPU) MatMul(y []float32, w *Weight, x []float32, n int) error {
	if err := checkMatMul(y, w, x, n); err != nil {
		return err
	}
	threads := c.threads
	if w.Rows*w.Cols*n < minParallelWork || threads < 2 {
		threads = 1
	}
	threads = min(threads, w.Rows)
	var qa *quantActs
	if w.Type == gguf.TypeQ8_0 && useSIMD && !c.exact && w.Cols%32 == 0 {
		qa = quantizeActs(x, n, w.Cols)
	}
	run := func(r0, r1 int) {
		acc := make([]float32, n)
		for r := r0; r < r1; r++ {
			if qa != nil {
				qa.rowTimes(w.Row(r), acc)
			} else {
				rowTimes(w.Type, w.Row(r), x, w.Cols, n, acc)
			}
			for b := 0; b < n; b++ {
				y[b*w.Rows+r] = acc[b]
			}
		}
	}
	if threads == 1 {
		run(0, w.Rows)
		return nil
	}
	// Chunks several times smaller than rows/threads keep goroutines
	// balanced when one core is busy with other work.
	chunks := threads * 4
	per := (w.Rows + chunks - 1) / chunks
	var next sync.Mutex
	start := 0
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				r0 := start
				start += per
				next.Unlock()
				if r0 >= w.Rows {
					return
				}
				run(r0, min(r0+per, w.Rows))
			}
		}()
	}
	wg.Wait()
	return nil
}

func checkMatMul(y []float32, w *Weight, x []float32, n int) error {
	if n <= 0 || len(x) < n*w.Cols || len(y) < n*w.Rows || len(w.Data) != w.Rows*w.RowBytes() {
		return fmt.Errorf("%w: matmul %s [%dx%d] with n=%d, len(x)=%d len(y)=%d", ErrBadConfig, w.Name, w.Rows, w.Cols, n, len(x), len(y))
	}
	return nil
}
