package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bizra/bizra/gpu/gguf"
	"github.com/bizra/bizra/gpu/model"
	"github.com/spf13/cobra"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Make and inspect GGUF models",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usage("model needs a subcommand (gen-tiny, inspect)")
		},
	}
	cmd.AddCommand(newGenTinyCmd(), newInspectCmd())
	return cmd
}

func newGenTinyCmd() *cobra.Command {
	cfg := model.DefaultGenConfig()
	cmd := &cobra.Command{
		Use:   "gen-tiny OUT.gguf",
		Short: "Write a valid random-weight model with a real tokenizer vocabulary",
		Long: `Write a random-weight GGUF model (for tests, demos and benchmarks) with a real
byte-level BPE (qwen2) or SentencePiece-style (llama) vocabulary.
--dims tiny is a few hundred KiB; --dims qwen0.5b has Qwen2.5-0.5B's dimensions.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.Validate(); err != nil {
				return usage("%v", err)
			}
			if err := model.GenTiny(args[0], cfg); err != nil {
				return failure("%v", err)
			}
			st, err := os.Stat(args[0])
			if err != nil {
				return failure("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %s, %s, seed %d, %d bytes)\n", args[0], cfg.Arch, cfg.Quant, cfg.Dims, cfg.Seed, st.Size())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Arch, "arch", cfg.Arch, "architecture: llama or qwen2")
	f.StringVar(&cfg.Quant, "quant", cfg.Quant, "weight type: f32, f16, bf16, q8_0 or q4_0")
	f.StringVar(&cfg.Dims, "dims", cfg.Dims, "dimensions: tiny, small or qwen0.5b")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed of the weights")
	return cmd
}

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Print a GGUF model's architecture, dimensions, tensor types and vocabulary size",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := gguf.Inspect(args[0])
			if err != nil {
				return failure("%v", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			fmt.Fprint(out, info.Summary())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newInferCmd() *cobra.Command {
	var (
		path, prompt, backend string
		maxTokens             int
		seed                  uint64
		temperature, topP     float64
		topK                  int
		chat, asJSON          bool
		stops                 []string
	)
	cmd := &cobra.Command{
		Use:   "infer",
		Short: "Run a GGUF model on this machine (CPU or OpenCL)",
		Long: `Run a GGUF model (llama or qwen2 architecture) locally and print the completion.
Greedy unless --temperature > 0 (then --seed makes sampling repeatable). --json prints
the text, token ids and tokens/s. --backend auto uses OpenCL on a GPU and the CPU
otherwise, saying why on stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return usage("--model is required")
			}
			if !cmd.Flags().Changed("prompt") {
				return usage("--prompt is required")
			}
			switch backend {
			case "cpu", "opencl", "auto":
			default:
				return usage("--backend %q: want cpu, opencl or auto", backend)
			}
			gcfg := model.DefaultGenerateConfig()
			gcfg.MaxTokens, gcfg.Chat, gcfg.Stop = maxTokens, chat, stops
			gcfg.Sampler = model.SamplerConfig{Temperature: temperature, TopK: topK, TopP: topP, Seed: seed}
			if err := gcfg.Validate(); err != nil {
				return usage("%v", err)
			}
			be, note, err := model.NewBackend(backend)
			if err != nil {
				return failure("backend %s: %v", backend, err)
			}
			stderr := cmd.ErrOrStderr()
			if note != "" {
				fmt.Fprintln(stderr, note)
			}
			m, err := model.LoadProgress(path, be, progressBar(stderr))
			if err != nil {
				return failure("%v", err)
			}
			defer m.Close()
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			out := cmd.OutOrStdout()
			var onText func(string)
			if !asJSON {
				onText = func(s string) { fmt.Fprint(out, s) }
			}
			res, err := m.Generate(ctx, prompt, gcfg, onText)
			if err != nil && !errors.Is(err, context.Canceled) {
				return failure("%v", err)
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintln(out)
			fmt.Fprintf(stderr, "%d tokens, %.1f tokens/s (%s, stop: %s)\n", len(res.TokenIDs), res.TokensPerS, res.Backend, res.StopReason)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&path, "model", "", "GGUF model file (required)")
	f.StringVar(&prompt, "prompt", "", "prompt text (required)")
	f.IntVar(&maxTokens, "max-tokens", 64, "tokens to generate at most")
	f.Uint64Var(&seed, "seed", 0, "sampling seed")
	f.Float64Var(&temperature, "temperature", 0, "sampling temperature (0: greedy)")
	f.IntVar(&topK, "top-k", 0, "keep the K most likely tokens (0: all)")
	f.Float64Var(&topP, "top-p", 0, "nucleus sampling mass (0 or 1: all)")
	f.StringArrayVar(&stops, "stop", nil, "stop sequence (repeatable)")
	f.BoolVar(&chat, "chat", false, "wrap the prompt in the model's chat template")
	f.StringVar(&backend, "backend", "auto", "cpu, opencl or auto")
	f.BoolVar(&asJSON, "json", false, "print text, token ids and tokens/s as JSON")
	return cmd
}

// progressBar draws the model load on w when w is a terminal.
func progressBar(w io.Writer) func(done, total int64) {
	if f, ok := w.(*os.File); !ok || !isTerminal(f) {
		return nil
	}
	last := -1
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		pct := int(done * 100 / total)
		if pct == last {
			return
		}
		last = pct
		bar := strings.Repeat("#", pct/4) + strings.Repeat(".", 25-pct/4)
		fmt.Fprintf(w, "\rloading [%s] %3d%%", bar, pct)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
