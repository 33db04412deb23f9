package model

import (
	"testing"

	"github.com/bizra/bizra/gpu/tokenizer"
)

// TestPortablePath runs the reference comparison with the assembly kernels
// switched off, as on CPUs without AVX2 or other architectures.
func TestPortablePath(t *testing.T) {
	saved := useSIMD
	useSIMD = false
	defer func() { useSIMD = saved }()
	for _, arch := range []string{ArchLlama, ArchQwen2} {
		for _, q := range []string{"f32", "f16", "bf16", "q8_0", "q4_0"} {
			m, f := genModel(t, arch, q) // default backend: exact without SIMD
			toks := m.Tok.Encode(testPrompt, tokenizer.EncodeOptions{AddBOS: m.Tok.AddBOS()})
			if e := maxNMSE(engineLogits(t, m, toks), loadRef(t, f).forward(toks)); e > 1e-6 {
				t.Errorf("%s/%s portable: NMSE %g > 1e-6", arch, q, e)
			}
		}
	}
}
