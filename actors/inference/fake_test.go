package inference

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeOpenAI is a small working OpenAI-compatible server for tests (a
// remote LLM cannot run here). Modes: "ok" answers "echo: <last user
// message>" (streaming too); "garbage" answers HTML; "hang" never
// answers; "nodone" streams without [DONE]; "error500" fails.
type fakeOpenAI struct {
	mode   string
	model  string
	gotKey chan string
	done   chan struct{} // closed at cleanup: hanging handlers return
}

func startFake(t testing.TB, mode, model string) (*httptest.Server, *fakeOpenAI) {
	f := &fakeOpenAI{mode: mode, model: model, gotKey: make(chan string, 64), done: make(chan struct{})}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(f.done) })
	return srv, f
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case f.gotKey <- r.Header.Get("Authorization"):
	default:
	}
	switch f.mode {
	case "garbage":
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>502 proxy says hello</html>")
		return
	case "hang":
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leaving
		select {
		case <-r.Context().Done():
		case <-f.done:
		}
		return
	case "error500":
		http.Error(w, `{"error":{"message":"out of memory","type":"server_error"}}`, http.StatusInternalServerError)
		return
	}
	if r.URL.Path == "/v1/models" {
		_ = json.NewEncoder(w).Encode(wireModelList{Object: "list", Data: []wireModel{{ID: f.model, Object: "model", OwnedBy: "fake"}}})
		return
	}
	var req struct {
		Model    string        `json:"model"`
		Messages []wireMessage `json:"messages"`
		Prompt   string        `json:"prompt"`
		Stream   bool          `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	chat := r.URL.Path == "/v1/chat/completions"
	text := "echo: " + req.Prompt
	if chat && len(req.Messages) > 0 {
		text = "echo: " + string(req.Messages[len(req.Messages)-1].Content)
	}
	stop := "stop"
	if !req.Stream {
		c := wireChoice{FinishReason: &stop}
		if chat {
			c.Message = &wireOutMessage{Role: "assistant", Content: text}
		} else {
			c.Text = &text
		}
		_ = json.NewEncoder(w).Encode(wireResponse{ID: "x", Object: "chat.completion", Model: req.Model, Choices: []wireChoice{c},
			Usage: &wireUsage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for _, word := range strings.SplitAfter(text, " ") {
		c := wireChoice{}
		if chat {
			c.Delta = &wireDelta{Content: &word}
		} else {
			c.Text = &word
		}
		b, _ := json.Marshal(wireResponse{ID: "x", Model: req.Model, Choices: []wireChoice{c}})
		fmt.Fprintf(w, ": keep-alive\n\ndata: %s\n\n", b)
	}
	b, _ := json.Marshal(wireResponse{ID: "x", Model: req.Model, Choices: []wireChoice{{FinishReason: &stop}}})
	fmt.Fprintf(w, "data: %s\n\n", b)
	if f.mode != "nodone" {
		fmt.Fprint(w, "data: [DONE]\n\n")
	}
}
