package inference

import "errors"

// Sentinel errors. Returned errors wrap one of these (with %w), so callers
// test them with errors.Is; the HTTP API maps each to a status and an
// OpenAI error type (see apierror.go).
var (
	// ErrBadConfig means a Config field is invalid; the message names it.
	ErrBadConfig = errors.New("inference: invalid config")
	// ErrBadRequest means a request field is invalid or the body is not
	// the expected JSON (HTTP 400).
	ErrBadRequest = errors.New("inference: bad request")
	// ErrEmptyPrompt means the prompt or every message is empty (HTTP 400).
	ErrEmptyPrompt = errors.New("inference: empty prompt")
	// ErrPromptTooLarge means the prompt is over Limits.MaxPromptBytes, or
	// over a local model's context (HTTP 413).
	ErrPromptTooLarge = errors.New("inference: prompt too large")
	// ErrOverTierBudget means max_tokens is over the per-request token
	// budget of the tier the request is pinned to (HTTP 400).
	ErrOverTierBudget = errors.New("inference: max_tokens over the tier budget")
	// ErrOverBudget means the agent's or session's token allowance for the
	// current window is spent (HTTP 429); see OverBudgetError.
	ErrOverBudget = errors.New("inference: over budget")
	// ErrUnknownModel means no configured backend serves the model (HTTP 404).
	ErrUnknownModel = errors.New("inference: unknown model")
	// ErrUnknownReservation means Settle or Release named a reservation
	// the tracker does not hold.
	ErrUnknownReservation = errors.New("inference: unknown budget reservation")
	// ErrBlocked means the governor (the FATE gate) refused the prompt (HTTP 403).
	ErrBlocked = errors.New("inference: blocked by governance")
	// ErrUnauthorized means the API bearer token is missing or wrong (HTTP 401).
	ErrUnauthorized = errors.New("inference: unauthorized")
	// ErrBackendUnavailable means a backend could not be reached, its
	// circuit is open, or it is busy (HTTP 503 when no other backend answers).
	ErrBackendUnavailable = errors.New("inference: backend unavailable")
	// ErrBackendBadResponse means a backend answered with something that is
	// not a valid OpenAI-compatible response, or a server error (HTTP 502).
	ErrBackendBadResponse = errors.New("inference: bad response from backend")
	// ErrBackendTimeout means a backend did not answer within its timeout
	// (HTTP 504).
	ErrBackendTimeout = errors.New("inference: backend timeout")
	// ErrBackendRejected means a backend refused the request as invalid
	// (its 4xx answer); it is the caller's request, so no fallback is tried
	// (HTTP 400).
	ErrBackendRejected = errors.New("inference: backend rejected the request")
	// ErrNoBackend means no backend is configured for the request's route
	// (HTTP 503).
	ErrNoBackend = errors.New("inference: no backend available")
	// ErrStopped means the gateway is not running (HTTP 503).
	ErrStopped = errors.New("inference: gateway stopped")
)
