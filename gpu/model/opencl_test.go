package model

import (
	"errors"
	"testing"

	"github.com/bizra/bizra/gpu/opencl"
	"github.com/bizra/bizra/gpu/tokenizer"
)

// TestOpenCLMatchesCPU runs both architectures and all weight types through
// the OpenCL backend and compares logits and greedy tokens with the CPU
// backend computing with float32 activations, as the kernels do.
func TestOpenCLMatchesCPU(t *testing.T) {
	be, err := NewOpenCL()
	if errors.Is(err, opencl.ErrNoLibrary) || errors.Is(err, opencl.ErrNoPlatform) || errors.Is(err, opencl.ErrNoDevice) {
		t.Skipf("no OpenCL platform on this machine (%v); install pocl-opencl-icd and ocl-icd-libopencl1 to run", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	t.Logf("backend %s", be.Name())
	for _, arch := range []string{ArchLlama, ArchQwen2} {
		for _, q := range []string{"f32", "f16", "bf16", "q8_0", "q4_0"} {
			cpu, f := genModelWith(t, arch, q, exactCPU(t))
			gpu, err := FromGGUF(f, be)
			if err != nil {
				t.Fatal(err)
			}
			toks := cpu.Tok.Encode(testPrompt, tokenizer.EncodeOptions{AddBOS: cpu.Tok.AddBOS()})
			a, b := engineLogits(t, cpu, toks), engineLogits(t, gpu, toks)
			for i := range a {
				if e := nmse32(b[i], a[i]); e > 1e-9 {
					t.Errorf("%s/%s position %d: OpenCL vs CPU NMSE %g", arch, q, i, e)
				}
				if Argmax(a[i]) != Argmax(b[i]) {
					t.Errorf("%s/%s position %d: argmax differs", arch, q, i)
				}
			}
		}
	}
}

func TestNewBackend(t *testing.T) {
	be, note, err := NewBackend(BackendAuto)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	t.Logf("auto: %s (%s)", be.Name(), note)
	if be.Name() == "cpu" && note == "" {
		t.Error("auto fell back to cpu without saying why")
	}
	if o, ok := be.(*OpenCL); ok && !o.dev.IsGPU() {
		t.Error("auto chose an OpenCL CPU device")
	}
	if _, _, err := NewBackend("tpu"); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("unknown backend: %v", err)
	}
}
