package opencl

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bizra/bizra/gpu/gguf"
)

func openOrSkip(t *testing.T, kernels string) *Device {
	t.Helper()
	d, err := OpenWith(Config{Kernels: kernels})
	if errors.Is(err, ErrNoLibrary) || errors.Is(err, ErrNoPlatform) || errors.Is(err, ErrNoDevice) {
		t.Skipf("no OpenCL platform on this machine (%v); install pocl-opencl-icd and ocl-icd-libopencl1 to run", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestMatMulMatchesCPU(t *testing.T) {
	for _, k := range []string{KernelsRow, KernelsGroup} {
		t.Run(k, func(t *testing.T) { testMatMul(t, k) })
	}
	if _, err := OpenWith(Config{Kernels: "fast"}); !errors.Is(err, ErrBadArgs) {
		t.Errorf("bad config: %v", err)
	}
}

func testMatMul(t *testing.T, kernels string) {
	d := openOrSkip(t, kernels)
	t.Logf("device: %s, grouped kernels: %v", d.Name(), d.Grouped())
	if d.Grouped() != (kernels == KernelsGroup) {
		t.Fatalf("asked for %s kernels, grouped = %v", kernels, d.Grouped())
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, cols = 70, 96
	for _, typ := range []gguf.TensorType{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0, gguf.TypeQ4_0} {
		w := make([]float32, rows*cols)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		data, err := gguf.Quantize(typ, w)
		if err != nil {
			t.Fatal(err)
		}
		deq := make([]float32, rows*cols)
		if err := gguf.Dequantize(typ, data, deq); err != nil {
			t.Fatal(err)
		}
		m, err := d.Upload(typ, rows, cols, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, MaxBatch + 1} {
			x := make([]float32, n*cols)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := make([]float32, n*rows)
			if err := d.MatMul(m, x, n, y); err != nil {
				t.Fatal(err)
			}
			var num, den float64
			for b := 0; b < n; b++ {
				for r := 0; r < rows; r++ {
					var s float64
					for c := 0; c < cols; c++ {
						s += float64(deq[r*cols+c]) * float64(x[b*cols+c])
					}
					diff := float64(y[b*rows+r]) - s
					num += diff * diff
					den += s * s
				}
			}
			if e := num / den; e > 1e-10 || math.IsNaN(e) {
				t.Errorf("%s n=%d: NMSE %g", typ, n, e)
			}
		}
		m.Release()
		m.Release()
		if err := d.MatMul(m, make([]float32, cols), 1, make([]float32, rows)); !errors.Is(err, ErrClosed) {
			t.Errorf("released matrix: %v", err)
		}
	}
	if _, err := d.Upload(gguf.TypeQ8_0, 2, 33, nil); !errors.Is(err, ErrBadArgs) {
		t.Errorf("bad shape: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Upload(gguf.TypeF32, 1, 32, make([]byte, 128)); !errors.Is(err, ErrClosed) {
		t.Errorf("upload after close: %v", err)
	}
}

// TestNoPlatformIsClear runs Open in a child process whose ICD loader sees
// no vendors and checks it reports ErrNoPlatform.
func TestNoPlatformIsClear(t *testing.T) {
	if os.Getenv("BIZRA_OPENCL_CHILD") == "1" {
		_, err := Open()
		if !errors.Is(err, ErrNoPlatform) && !errors.Is(err, ErrNoLibrary) {
			t.Fatalf("Open with no ICD: %v", err)
		}
		t.Logf("error: %v", err)
		return
	}
	if err := load(); err != nil {
		t.Skipf("OpenCL library absent (%v): Open reports %v", err, ErrNoLibrary)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoPlatformIsClear$", "-test.v")
	cmd.Env = append(os.Environ(), "BIZRA_OPENCL_CHILD=1", "OCL_ICD_VENDORS="+t.TempDir(), "OCL_ICD_FILENAMES=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), ErrNoPlatform.Error()) {
		t.Fatalf("child did not report %q:\n%s", ErrNoPlatform, out)
	}
}
