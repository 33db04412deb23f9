package inference

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// InferenceRequest is the body of POST /v1/inference and an item of
// POST /v1/batch (seed §5.4, §7.2). A prompt is sent as one user turn of
// a chat; messages may be given instead.
type InferenceRequest struct {
	Prompt      string    `json:"prompt,omitempty"`
	Messages    []Message `json:"messages,omitempty"`
	Model       string    `json:"model,omitempty"`
	Complexity  string    `json:"complexity,omitempty"`
	Tier        string    `json:"tier,omitempty"`
	MaxTokens   *int      `json:"max_tokens,omitempty"`
	Temperature *float64  `json:"temperature,omitempty"`
	TopP        *float64  `json:"top_p,omitempty"`
	Seed        *int64    `json:"seed,omitempty"`
	Stop        stopList  `json:"stop,omitempty"`
	SessionID   string    `json:"session_id,omitempty"`
	Agent       string    `json:"agent,omitempty"`
}

func (g *Gateway) inferenceRequest(ir InferenceRequest, r *http.Request) (*Request, error) {
	req := &Request{Kind: KindChat, Messages: ir.Messages}
	if ir.Prompt != "" {
		if len(ir.Messages) > 0 {
			return nil, fmt.Errorf("%w: give prompt or messages, not both", ErrBadRequest)
		}
		req.Messages = []Message{{Role: "user", Content: ir.Prompt}}
	}
	c := common{model: ir.Model, maxTokens: ir.MaxTokens, complexity: ir.Complexity, tier: ir.Tier, session: ir.SessionID,
		ag: ir.Agent, sampling: Sampling{Temperature: ir.Temperature, TopP: ir.TopP, Seed: ir.Seed, Stop: ir.Stop}}
	if err := g.fill(req, c, r); err != nil {
		return nil, err
	}
	return req, nil
}

// serveInference answers POST /v1/inference with the Result.
func (g *Gateway) serveInference(w http.ResponseWriter, r *http.Request) {
	var ir InferenceRequest
	if err := g.decode(r, g.bodyLimit(), &ir); err != nil {
		writeError(w, err, g.now())
		return
	}
	req, err := g.inferenceRequest(ir, r)
	if err != nil {
		writeError(w, err, g.now())
		return
	}
	res, err := g.Infer(r.Context(), req)
	if err != nil {
		writeError(w, err, g.now())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// BatchItem is one answer of POST /v1/batch: a Result, or an error in
// the OpenAI shape with its HTTP status.
type BatchItem struct {
	*Result
	Status int            `json:"status"`
	Error  *wireErrorBody `json:"error,omitempty"`
}

// serveBatch answers POST /v1/batch: a JSON array of InferenceRequest
// (or {"requests": [...]}) run with Limits.BatchConcurrency at a time;
// the answer is an array in the same order, each item a Result with
// "status": 200 or {"status": code, "error": {...}}. The batch itself is
// 200 when it could be read.
func (g *Gateway) serveBatch(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	limit := g.bodyLimit() * int64(g.cfg.Limits.MaxBatch)
	if err := g.decode(r, limit, &raw); err != nil {
		writeError(w, err, g.now())
		return
	}
	var items []InferenceRequest
	if err := json.Unmarshal(raw, &items); err != nil {
		var wrapped struct {
			Requests []InferenceRequest `json:"requests"`
		}
		if err2 := json.Unmarshal(raw, &wrapped); err2 != nil || wrapped.Requests == nil {
			writeError(w, fmt.Errorf("%w: a batch is a JSON array of inference requests or {\"requests\": [...]}: %v", ErrBadRequest, err), g.now())
			return
		}
		items = wrapped.Requests
	}
	switch {
	case len(items) == 0:
		writeError(w, fmt.Errorf("%w: empty batch", ErrBadRequest), g.now())
		return
	case len(items) > g.cfg.Limits.MaxBatch:
		writeError(w, fmt.Errorf("%w: batch of %d requests is over limits.max_batch %d", ErrBadRequest, len(items), g.cfg.Limits.MaxBatch), g.now())
		return
	}
	out := make([]BatchItem, len(items))
	sem := make(chan struct{}, g.cfg.Limits.BatchConcurrency)
	var wg sync.WaitGroup
	for i, ir := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, err := g.inferenceRequest(ir, r)
			var res *Result
			if err == nil {
				res, err = g.Infer(r.Context(), req)
			}
			if err != nil {
				status, body := openAIError(err)
				out[i] = BatchItem{Status: status, Error: &body.Error}
				return
			}
			out[i] = BatchItem{Result: res, Status: http.StatusOK}
		}()
	}
	wg.Wait()
	writeJSON(w, http.StatusOK, out)
}

// serveBudget answers GET /v1/budget with the Usage snapshot.
func (g *Gateway) serveBudget(w http.ResponseWriter, r *http.Request) {
	u, err := g.Usage(r.Context())
	if err != nil {
		writeError(w, err, g.now())
		return
	}
	writeJSON(w, http.StatusOK, u)
}
