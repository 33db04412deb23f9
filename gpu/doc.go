// Package gpu is the local inference engine: GGUF models (llama, qwen2)
// served on the node itself, on the CPU or an OpenCL device, with a
// continuous-batching worker pool.
//
// Subpackages:
//
//	gguf       GGUF v3 reader (memory-mapped) and writer; Inspect.
//	tokenizer  byte-level BPE (gpt2/qwen2) and SentencePiece-style (llama)
//	           tokenizers from GGUF metadata; chat templates.
//	model      forward pass, backends, sampling, Generate, GenTiny.
//	opencl     OpenCL matmul kernels via purego (libOpenCL.so.1 at run time).
//	pool       worker-pool actor with continuous batching.
//
// # Library entry points for the CLI
//
// bizra model gen-tiny --arch llama|qwen2 --quant f32|f16|q8_0|q4_0
// [--dims tiny|qwen0.5b] [--seed N] OUT.gguf:
//
//	err := model.GenTiny(out, model.GenConfig{Arch: arch, Quant: quant, Dims: dims, Seed: seed})
//	// model.DefaultGenConfig() gives the defaults; errors wrap model.ErrBadConfig.
//	// Dims also accepts "small". Quant also accepts "bf16".
//
// bizra model inspect FILE [--json]:
//
//	info, err := gguf.Inspect(path) // *gguf.Info
//	json.NewEncoder(os.Stdout).Encode(info) // --json
//	fmt.Print(info.Summary())               // human-readable
//
// bizra infer --model FILE --prompt TEXT [--max-tokens N] [--seed N]
// [--backend cpu|opencl|auto] [--json]:
//
//	be, note, err := model.NewBackend(backend) // note explains an auto fallback to cpu
//	if note != "" { fmt.Fprintln(os.Stderr, note) }
//	m, err := model.LoadProgress(path, be, func(done, total int64) { /* draw the progress bar */ })
//	defer m.Close()                            // (model.Load(path, be) without progress)
//	cfg := model.DefaultGenerateConfig()
//	cfg.MaxTokens = n
//	cfg.Sampler = model.SamplerConfig{Temperature: 0.8, TopK: 40, TopP: 0.95, Seed: seed} // or zero value for greedy
//	res, err := m.Generate(ctx, prompt, cfg, func(s string) { fmt.Print(s) })
//	json.NewEncoder(os.Stdout).Encode(res) // --json: text, token_ids, tokens_per_second, ...
//
// The CPU backend quantises activations to 8 bits when multiplying by Q8_0
// weights (as ggml does); model.NewCPUWith(model.CPUConfig{ExactActivations:
// true}) keeps them in float32.
//
// Serving concurrent requests (e.g. from an agent actor):
//
//	p, err := pool.Start(system, m, pool.DefaultConfig())
//	defer p.Stop()
//	ids, _ := m.Prompt(text, true) // chat template applied
//	s, err := p.Submit(ctx, pool.Request{Prompt: ids, MaxTokens: 128})
//	for ev := range s.Events() { ... ev.Text ... ev.Done, ev.Err }
//
// Benchmarks: go test ./bench -run XXX -bench Engine -benchtime 3x
//
// Errors are sentinel values per package (gguf.ErrTruncated,
// opencl.ErrNoPlatform, model.ErrUnsupportedArch, pool.ErrBusy, ...),
// wrapped with context; test them with errors.Is.
package gpu
