package inference

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/bizra/bizra/gpu/model"
)

// BenchmarkGatewayOverhead compares a chat completion through the
// gateway's OpenAI-compatible endpoint (HTTP, gate, budget actor,
// selector, worker pool, envelope) with calling the local engine
// directly (model.Generate) on the same tiny model, and prints the
// throughput ratio.
func BenchmarkGatewayOverhead(b *testing.B) {
	path := tinyModel(b)
	const prompt, maxTokens = "Tell me about the sea.", 8
	var perOp [2]time.Duration

	b.Run("engine", func(b *testing.B) {
		m, err := model.Load(path, model.NewCPU(0))
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		cfg := model.GenerateConfig{MaxTokens: maxTokens, Chat: true}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := m.Generate(context.Background(), prompt, cfg, nil); err != nil {
				b.Fatal(err)
			}
		}
		perOp[0] = b.Elapsed() / time.Duration(b.N)
	})

	b.Run("gateway", func(b *testing.B) {
		cfg := localConfig(path)
		cfg.Budget.AgentTokens = 0 // unlimited: measure the path, not the refusal
		n := startNode(b, cfg, nil)
		body, _ := json.Marshal(map[string]any{"model": tinyID, "max_tokens": maxTokens,
			"messages": []map[string]any{{"role": "user", "content": prompt}}})
		url := n.URL() + "/chat/completions"
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			resp, err := http.Post(url, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		perOp[1] = b.Elapsed() / time.Duration(b.N)
	})

	if perOp[0] > 0 && perOp[1] > 0 {
		fmt.Fprintf(os.Stdout, "RATIO gateway-chat-completion engine %v/op gateway %v/op gateway/engine throughput = %.2fx\n",
			perOp[0], perOp[1], float64(perOp[0])/float64(perOp[1]))
	}
}

// BenchmarkBatch compares POST /v1/batch of 8 prompts (run concurrently,
// decoded together by the local engine's continuous-batching pool) with
// the same 8 prompts sent one after another to POST /v1/inference; one op
// is 8 answers either way.
func BenchmarkBatch(b *testing.B) {
	path := tinyModel(b)
	const k, maxTokens = 8, 8
	cfg := localConfig(path)
	cfg.Budget.AgentTokens = 0
	n := startNode(b, cfg, nil)
	item := map[string]any{"prompt": "Tell me about the sea.", "model": tinyID, "max_tokens": maxTokens}
	one, _ := json.Marshal(item)
	items := make([]map[string]any, k)
	for i := range items {
		items[i] = item
	}
	batch, _ := json.Marshal(items)
	post := func(b *testing.B, url string, body []byte) {
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: status %d", url, resp.StatusCode)
		}
	}
	var perOp [2]time.Duration
	b.Run("sequential", func(b *testing.B) {
		for range b.N {
			for range k {
				post(b, n.URL()+"/inference", one)
			}
		}
		perOp[0] = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("batch", func(b *testing.B) {
		for range b.N {
			post(b, n.URL()+"/batch", batch)
		}
		perOp[1] = b.Elapsed() / time.Duration(b.N)
	})
	if perOp[0] > 0 && perOp[1] > 0 {
		fmt.Fprintf(os.Stdout, "RATIO batch-of-8 sequential %v/op batch %v/op batch/sequential throughput = %.2fx\n",
			perOp[0], perOp[1], float64(perOp[0])/float64(perOp[1]))
	}
}
