package inference

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// errorClass maps an error to its HTTP status, a stable code (also the
// metrics outcome label) and the OpenAI error type.
//
//	400 invalid_request_error  bad_request, empty_prompt, max_tokens_over_tier_budget, backend_rejected
//	401 invalid_request_error  invalid_api_key
//	403 permission_error       gate_blocked
//	404 invalid_request_error  model_not_found
//	413 invalid_request_error  prompt_too_large
//	429 insufficient_quota     budget_exhausted (agent or session window spent; Retry-After set)
//	502 server_error           backend_bad_response
//	503 server_error           backend_unavailable, no_backend, stopped
//	504 server_error           backend_timeout
//	499 (client closed)        cancelled
//	500 server_error           internal_error
func errorClass(err error) (int, string, string) {
	switch {
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized, "invalid_api_key", "invalid_request_error"
	case errors.Is(err, ErrBlocked):
		return http.StatusForbidden, "gate_blocked", "permission_error"
	case errors.Is(err, ErrUnknownModel):
		return http.StatusNotFound, "model_not_found", "invalid_request_error"
	case errors.Is(err, ErrPromptTooLarge):
		return http.StatusRequestEntityTooLarge, "prompt_too_large", "invalid_request_error"
	case errors.Is(err, ErrEmptyPrompt):
		return http.StatusBadRequest, "empty_prompt", "invalid_request_error"
	case errors.Is(err, ErrOverTierBudget):
		return http.StatusBadRequest, "max_tokens_over_tier_budget", "invalid_request_error"
	case errors.Is(err, ErrBackendRejected):
		return http.StatusBadRequest, "backend_rejected", "invalid_request_error"
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, "bad_request", "invalid_request_error"
	case errors.Is(err, ErrOverBudget):
		return http.StatusTooManyRequests, "budget_exhausted", "insufficient_quota"
	case errors.Is(err, ErrBackendTimeout), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "backend_timeout", "server_error"
	case errors.Is(err, ErrBackendBadResponse):
		return http.StatusBadGateway, "backend_bad_response", "server_error"
	case errors.Is(err, ErrNoBackend):
		return http.StatusServiceUnavailable, "no_backend", "server_error"
	case errors.Is(err, ErrBackendUnavailable):
		return http.StatusServiceUnavailable, "backend_unavailable", "server_error"
	case errors.Is(err, ErrStopped):
		return http.StatusServiceUnavailable, "stopped", "server_error"
	case errors.Is(err, context.Canceled):
		return 499, "cancelled", "server_error"
	}
	return http.StatusInternalServerError, "internal_error", "server_error"
}

// errorBody is the OpenAI error body, plus a "bizra" block with the
// routing decisions of a request that reached the selector.
type errorBody struct {
	Error wireErrorBody `json:"error"`
	Bizra *errorBizra   `json:"bizra,omitempty"`
}

type errorBizra struct {
	Tier      Tier       `json:"tier,omitempty"`
	Decisions []Decision `json:"decisions"`
}

func errorParam(err error) *string {
	var p string
	switch {
	case errors.Is(err, ErrUnknownModel):
		p = "model"
	case errors.Is(err, ErrOverTierBudget):
		p = "max_tokens"
	case errors.Is(err, ErrEmptyPrompt), errors.Is(err, ErrPromptTooLarge):
		p = "messages"
	default:
		return nil
	}
	return &p
}

// openAIError builds the body and status for err.
func openAIError(err error) (int, errorBody) {
	status, code, typ := errorClass(err)
	b := errorBody{Error: wireErrorBody{Message: err.Error(), Type: typ, Param: errorParam(err), Code: &code}}
	var re *RouteError
	if errors.As(err, &re) {
		b.Bizra = &errorBizra{Tier: re.Tier, Decisions: re.Decisions}
	}
	return status, b
}

// writeError answers err as an OpenAI error.
func writeError(w http.ResponseWriter, err error, now time.Time) {
	status, body := openAIError(err)
	var ob *OverBudgetError
	if errors.As(err, &ob) {
		secs := int64(ob.ResetAt.Sub(now).Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bizra"`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"message":"encoding response","type":"server_error","param":null,"code":"internal_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
