// Package model runs llama and qwen2 language models stored in GGUF files.
//
// The forward pass is the standard pre-norm decoder: RMSNorm, attention
// with rotary position embeddings (NORM pairing (2i, 2i+1) for llama, NEOX
// pairing (i, i+d/2) for qwen2), grouped-query attention over a per-
// sequence KV cache, qwen2's q/k/v biases, a SwiGLU feed-forward block,
// and a tied or separate output projection. Weight matrices stay in their
// stored type (F32, F16, BF16, Q8_0, Q4_0) and are decoded block by block
// inside the matmul. Matmuls go through a Backend: CPU (goroutine-parallel
// over rows) or OpenCL. Forward takes a batch of (sequence, token) rows —
// any mix of prompt tokens and decode tokens from different sequences — and
// reads every weight once for the whole batch.
//
// Entry points:
//
//	be, note, err := model.NewBackend("auto")   // "cpu", "opencl", "auto"
//	m, err := model.Load("model.gguf", be)       // memory-mapped
//	defer m.Close()
//	res, err := m.Generate(ctx, "Hello", model.GenerateConfig{MaxTokens: 32}, func(s string) { fmt.Print(s) })
//	// res.Text, res.TokenIDs, res.TokensPerS
//
//	err = model.GenTiny("tiny.gguf", model.GenConfig{Arch: "qwen2", Quant: "q8_0", Dims: "tiny", Seed: 1})
//
// GenTiny writes a random-weight model with a real vocabulary (byte-level
// BPE for qwen2, SentencePiece-style for llama, learned from an embedded
// text) for tests, demos and benchmarks.
package model
