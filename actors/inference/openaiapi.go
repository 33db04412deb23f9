package inference

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// bizraBlock is the "bizra" member of OpenAI-shaped responses: the tier,
// budget, routing and governance of the request.
type bizraBlock struct {
	ID         string          `json:"id"`
	Tier       Tier            `json:"tier"`
	Complexity Complexity      `json:"complexity"`
	Backend    string          `json:"backend"`
	Model      string          `json:"model"`
	Budget     Balance         `json:"budget"`
	Decisions  []Decision      `json:"decisions"`
	LatencyMS  float64         `json:"latency_ms"`
	Governance *Governance     `json:"governance,omitempty"`
	Upstream   json.RawMessage `json:"upstream,omitempty"`
}

func blockOf(res *Result) json.RawMessage {
	b, _ := json.Marshal(bizraBlock{ID: res.ID, Tier: res.Tier, Complexity: res.Complexity, Backend: res.Backend, Model: res.Model,
		Budget: res.Budget, Decisions: res.Decisions, LatencyMS: res.LatencyMS, Governance: res.Governance, Upstream: res.Upstream})
	return b
}

func usageOf(res *Result) *wireUsage {
	return &wireUsage{PromptTokens: res.Usage.PromptTokens, CompletionTokens: res.Usage.CompletionTokens, TotalTokens: res.Usage.TotalTokens}
}

func (g *Gateway) serveChat(w http.ResponseWriter, r *http.Request) {
	var wr wireChatRequest
	if err := g.decode(r, g.bodyLimit(), &wr); err != nil {
		writeError(w, err, g.now())
		return
	}
	req := &Request{Kind: KindChat}
	for _, m := range wr.Messages {
		req.Messages = append(req.Messages, Message{Role: m.Role, Content: string(m.Content)})
	}
	c := common{model: wr.Model, maxTokens: wr.MaxTokens, maxCompletion: wr.MaxCompletionTokens, n: wr.N, complexity: wr.Complexity,
		tier: wr.Tier, session: wr.SessionID, ag: wr.Agent, user: wr.User,
		sampling: Sampling{Temperature: wr.Temperature, TopP: wr.TopP, Seed: wr.Seed, Stop: wr.Stop}}
	if err := g.fill(req, c, r); err != nil {
		writeError(w, err, g.now())
		return
	}
	if wr.Stream {
		g.serveStream(w, r, req)
		return
	}
	res, err := g.Infer(r.Context(), req)
	if err != nil {
		writeError(w, err, g.now())
		return
	}
	fr := res.FinishReason
	writeJSON(w, http.StatusOK, wireResponse{ID: res.ID, Object: "chat.completion", Created: res.Created, Model: res.Model,
		Choices: []wireChoice{{Message: &wireOutMessage{Role: "assistant", Content: res.Text}, FinishReason: &fr}},
		Usage:   usageOf(res), Bizra: blockOf(res)})
}

func (g *Gateway) serveCompletions(w http.ResponseWriter, r *http.Request) {
	var wr wireCompletionRequest
	if err := g.decode(r, g.bodyLimit(), &wr); err != nil {
		writeError(w, err, g.now())
		return
	}
	req := &Request{Kind: KindCompletion, Prompt: string(wr.Prompt)}
	c := common{model: wr.Model, maxTokens: wr.MaxTokens, n: wr.N, complexity: wr.Complexity, tier: wr.Tier,
		session: wr.SessionID, ag: wr.Agent, user: wr.User,
		sampling: Sampling{Temperature: wr.Temperature, TopP: wr.TopP, Seed: wr.Seed, Stop: wr.Stop}}
	if err := g.fill(req, c, r); err != nil {
		writeError(w, err, g.now())
		return
	}
	if wr.Stream {
		g.serveStream(w, r, req)
		return
	}
	res, err := g.Infer(r.Context(), req)
	if err != nil {
		writeError(w, err, g.now())
		return
	}
	fr, text := res.FinishReason, res.Text
	writeJSON(w, http.StatusOK, wireResponse{ID: res.ID, Object: "text_completion", Created: res.Created, Model: res.Model,
		Choices: []wireChoice{{Text: &text, FinishReason: &fr}}, Usage: usageOf(res), Bizra: blockOf(res)})
}

// serveStream answers a stream:true request as server-sent events:
// "data: {chunk}\n\n" per piece of text, a chunk with the finish reason,
// a last chunk with the usage and the "bizra" block (tier, budget,
// envelope), then "data: [DONE]". An error before the first chunk is an
// ordinary JSON error response; after it, an error event and [DONE].
func (g *Gateway) serveStream(w http.ResponseWriter, r *http.Request, req *Request) {
	rc := http.NewResponseController(w)
	chat := req.Kind == KindChat
	object := "text_completion"
	if chat {
		object = "chat.completion.chunk"
	}
	created := unixNow(g.now())
	model := req.Model
	started := false
	send := func(v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return err
		}
		return rc.Flush()
	}
	chunk := func(text *string, finish *string) wireResponse {
		c := wireChoice{FinishReason: finish}
		if chat {
			c.Delta = &wireDelta{Content: text}
		} else {
			t := ""
			if text != nil {
				t = *text
			}
			c.Text = &t
		}
		return wireResponse{ID: req.ID, Object: object, Created: created, Model: model, Choices: []wireChoice{c}}
	}
	begin := func() error {
		started = true
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		if !chat {
			return rc.Flush()
		}
		empty := ""
		first := chunk(&empty, nil)
		first.Choices[0].Delta.Role = "assistant"
		return send(first)
	}
	res, err := g.InferStream(r.Context(), req, func(s string) error {
		if !started {
			if err := begin(); err != nil {
				return err
			}
		}
		return send(chunk(&s, nil))
	})
	if err != nil {
		if !started {
			writeError(w, err, g.now())
			return
		}
		_, body := openAIError(err)
		_ = send(body)
		_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
		_ = rc.Flush()
		return
	}
	if !started {
		if err := begin(); err != nil {
			return
		}
	}
	model = res.Model
	fr := res.FinishReason
	_ = send(chunk(nil, &fr))
	last := wireResponse{ID: req.ID, Object: object, Created: created, Model: model, Choices: []wireChoice{},
		Usage: usageOf(res), Bizra: blockOf(res)}
	_ = send(last)
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	_ = rc.Flush()
}

func (g *Gateway) modelList() wireModelList {
	list := wireModelList{Object: "list", Data: []wireModel{}}
	created := unixNow(g.now().Truncate(time.Hour))
	for _, m := range g.Models() {
		list.Data = append(list.Data, wireModel{ID: m.ID, Object: "model", Created: created, OwnedBy: m.OwnedBy,
			Tier: m.Tier.String(), Backends: m.Backends})
	}
	return list
}

func (g *Gateway) serveModels(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, g.modelList())
}

func (g *Gateway) serveModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, m := range g.modelList().Data {
		if m.ID == id {
			writeJSON(w, http.StatusOK, m)
			return
		}
	}
	writeError(w, fmt.Errorf("%w: %q is not served by any backend", ErrUnknownModel, id), g.now())
}
