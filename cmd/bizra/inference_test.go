package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/encoding/protojson"
)

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode, out
}

func TestNodeServesAModelAndAnotherNodeUsesIt(t *testing.T) {
	model := filepath.Join(t.TempDir(), "tiny.gguf")
	if r := bizra(t, "model", "gen-tiny", "--arch", "qwen2", "--quant", "q8_0", model); r.code != 0 {
		t.Fatalf("gen-tiny: %+v", r)
	}
	a := startNodeProc(t, "--model", model, "--node-id", "node-a")
	models, err := httpGet("http://" + a.info.HTTP + "/v1/models")
	if err != nil || !strings.Contains(models, `"id":"tiny"`) || !strings.Contains(models, `"object":"list"`) {
		t.Fatalf("models: %v %s", err, models)
	}
	chat := `{"model":"tiny","messages":[{"role":"user","content":"hello"}],"max_tokens":6}`
	code, out := postJSON(t, "http://"+a.info.HTTP+"/v1/chat/completions", chat)
	choices, _ := out["choices"].([]any)
	bz, _ := out["bizra"].(map[string]any)
	if code != 200 || len(choices) != 1 || bz["tier"] != "NANO" || bz["governance"] == nil {
		t.Fatalf("chat completion: %d %v", code, out)
	}
	// Bad input gets an OpenAI-style error and the node keeps serving.
	code, out = postJSON(t, "http://"+a.info.HTTP+"/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`)
	if e, _ := out["error"].(map[string]any); code != 404 || e["message"] == nil {
		t.Fatalf("unknown model: %d %v", code, out)
	}
	// The llm agent takes TaskCards through the governed path; how the
	// gateway served it is in the result's governance, bound into its proof.
	r := bizra(t, "task", "send", "--nats", a.info.NATSURL, "--capability", "chat", "--input", "hello", "--session", "llm", "--json")
	var res messages.TaskResult
	if r.code != 0 || protojson.Unmarshal([]byte(r.stdout), &res) != nil || res.GetGovernance().GetInference().GetBackend() != "local" ||
		res.GetGovernance().GetInference().GetTier() != "NANO" {
		t.Fatalf("chat task: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "r.json")
	_ = os.WriteFile(file, []byte(r.stdout), 0o600)
	if v := bizra(t, "session", "verify", file); v.code != 0 {
		t.Fatalf("verify chat result: %+v", v)
	}
	if v := bizra(t, "session", "show", "llm", "--nats", a.info.NATSURL); v.code != 0 || !strings.Contains(v.stdout, "llm  tier NANO model tiny backend local") {
		t.Fatalf("show llm session: %+v", v)
	}
	// Node b uses node a as an OpenAI-compatible backend.
	cfg := filepath.Join(t.TempDir(), "b.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`inference:
  backends:
    - name: node-a
      kind: openai
      url: http://%s/v1
      tier: NANO
`, a.info.HTTP)), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startNodeProc(t, "--config", cfg, "--node-id", "node-b")
	code, out = postJSON(t, "http://"+b.info.HTTP+"/v1/chat/completions", chat)
	bz, _ = out["bizra"].(map[string]any)
	if code != 200 || bz["backend"] != "node-a" {
		t.Fatalf("through b: %d %v", code, out)
	}
}
