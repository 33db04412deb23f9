package inference

import (
	"testing"

	"github.com/bizra/bizra/actors/agent"
	"github.com/bizra/bizra/messages"
)

func TestLLMKind(t *testing.T) {
	n := startNode(t, localConfig(tinyModel(t)), nil)
	kinds := agent.BuiltinKinds()
	kinds["llm"] = LLMKind(n.g)
	h, err := kinds.Build(agent.Spec{Name: "writer", Kind: "llm", Capabilities: []string{"chat"}, Options: map[string]string{"max_tokens": "4", "model": tinyID}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Handle(t.Context(), &messages.TaskCard{Input: []byte("Say something."), SessionId: "sess-9"})
	if err != nil || out.MediaType != "text/plain; charset=utf-8" {
		t.Fatalf("%+v %v", out, err)
	}
	u, err := n.g.Usage(t.Context())
	if err != nil || len(u.Agents) != 1 || u.Agents[0].ID != "writer" || len(u.Sessions) != 1 || u.Sessions[0].ID != "sess-9" {
		t.Fatalf("usage %+v %v", u, err)
	}
	if _, err := kinds.Build(agent.Spec{Name: "bad", Kind: "llm", Options: map[string]string{"tier": "GIANT"}}); err == nil {
		t.Fatal("bad tier accepted")
	}
}
