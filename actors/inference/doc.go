// Package inference is the node's inference gateway (seed §3.1 steps
// 4–8, §4.4, §5.4, §7.2): it admits a request through governance,
// charges it to the cognitive budget, picks a backend by task complexity
// and tier with a fallback chain, runs it on the local engine or on an
// OpenAI-compatible server, and returns the result sealed in a signed PCI
// envelope. The same path serves the HTTP API (the seed's /v1/inference,
// /v1/batch, /v1/budget and the OpenAI-compatible /v1/chat/completions,
// /v1/completions, /v1/models) and agents of kind "llm".
//
// # The path of one request (Gateway.Infer, InferStream)
//
//  1. Normalize: defaults (max_tokens = limits.default_max_tokens, agent
//     "anonymous"), empty prompt (ErrEmptyPrompt), prompt over
//     limits.max_prompt_bytes (ErrPromptTooLarge).
//  2. Governor.Admit: the default governor runs the FATE gate on the prompt
//     (tool Task); a BLOCK is ErrBlocked. Its score becomes the result
//     envelope's ihsan.
//  3. Selector.Plan (pure, selector.go): complexity is the request's or
//     Estimate(prompt tokens, max_tokens), with prompt tokens estimated as
//     bytes/4 and n = prompt + max_tokens: n <= 512 LOW, <= 2048 MEDIUM,
//     <= 8192 HIGH, else CRITICAL. The tier is the one asked for, else the
//     tier of the backend serving the named model, else RouteTier: the
//     larger of the complexity's base tier (LOW→NANO, MEDIUM→MICRO,
//     HIGH→MESO, CRITICAL→MACRO) and the smallest tier whose per-request
//     token budget holds max_tokens. max_tokens over that tier's budget
//     (NANO 512, MICRO 1024, MESO 4096, MACRO 8192, MEGA 32768) is
//     ErrOverTierBudget: HTTP 400, since the request itself is wrong.
//     Candidates: the named model's backends in config order; or, for
//     model "" / "auto", backends of the tier (or untiered), then larger
//     tiers, then (selector.allow_downgrade) smaller ones.
//  4. Budget (budget.go, budgetactor.go): the budget actor reserves
//     estimated prompt tokens + max_tokens against the agent's pool for the
//     tier (7-3-6-9: NANO+MICRO may use 70 % of the agent's window
//     allowance, MESO 30 %, MACRO 6 %, MEGA 9 %) and the session's
//     allowance. Over either is an *OverBudgetError (ErrOverBudget): HTTP
//     429 insufficient_quota with Retry-After, since the request is valid
//     but the window is spent. Windows are fixed: they start at an
//     account's first charge and last budget.window; then usage restarts
//     at zero. After the call the reservation is settled with the actual
//     tokens (the backend's usage, else estimates), or released on failure.
//  5. Fallback chain: each candidate is tried unless its circuit breaker
//     (breaker.go: closed → open after breaker.failures consecutive
//     failures → half-open after breaker.open_for, breaker.probes probes)
//     skips it. Unreachable, busy, timed-out, garbage or 5xx backends count
//     as failures and the next candidate is tried; a 4xx from the backend
//     (ErrBackendRejected) ends the request. A stream falls back only
//     before its first text. Every skip, failure and the serving backend
//     are Decisions in the result (or in the error body's "bizra" block).
//  6. Governor.Seal: the default governor seals Result.SealedPayload() (id,
//     model, backend, tier, text, usage, agent, session, prompt SHA-256) in
//     a PCI envelope (agent type MODEL, payload type
//     bizra.v1.InferenceResult, snr = pci.SNR(payload)) with its ed25519
//     key, and walks an in-memory session DAG active → computing →
//     validated → committed, returning its lineage proof.
//
// # HTTP API
//
// Errors use the OpenAI body {"error":{"message","type","param","code"}}
// (see errorClass in apierror.go for the full table): unknown model 404,
// empty prompt or malformed JSON 400, oversize 413, max_tokens over the
// tier budget 400, budget spent 429, gate block 403, bad token 401,
// backend garbage or 5xx 502, backends down 503, backend hang 504.
// OpenAI-shaped answers carry a "bizra" member: id, tier, complexity,
// backend, budget balance, decisions, latency and the governance block
// (admission; envelope as protojson of messages.Envelope, payload base64;
// session proof); when the backend is another BIZRA node its own block is
// kept as "upstream". With "stream": true the answer is server-sent
// events, "data: {chunk}\n\n" per piece of text, then a chunk with the
// finish reason, then one with "usage" and "bizra" (envelope included),
// then "data: [DONE]". Requests may add "complexity", "tier",
// "session_id" and "agent" (or headers Bizra-Agent, Bizra-Session; the
// OpenAI "user" field is the agent otherwise). A local model without a
// temperature decodes greedily.
//
// # How the runtime wires this
//
//	cfg := inference.DefaultConfig()            // or the `inference:` section of the node config (yaml)
//	if modelFlag != "" {                        // bizra node --model FILE.gguf
//		cfg.Backends = append(cfg.Backends, inference.LocalBackendConfig(modelFlag)) // "local", NANO, id = base name
//	}
//	gov, _ := inference.NewGovernor(inference.GovernorConfig{Gate: nodeGate, Key: nodeKey, TTL: cfg.SealTTL, SessionProofs: true})
//	gw, err := inference.NewGateway(cfg, inference.Deps{
//		System: actorSystem, Registerer: node.Registry(), Governor: gov, Logger: log,
//		OpenEnvelope: open, // verifies signed requests under the node's trust policy (optional)
//	})
//	err = gw.Start(ctx)                          // loads models, starts pools and the budget actor, lists models
//	gw.Register(httpIngress.Handle)              // mounts the seven routes on the node's HTTP server
//	kinds["llm"] = inference.LLMKind(gw)          // agent kind llm (options: model, system, max_tokens, complexity, tier)
//	...
//	gw.Stop()                                    // before stopping the actor system; safe twice
//
// Agents and other Go callers use gw.Text(ctx, prompt, TextOptions{...})
// or gw.Infer / gw.InferStream with a *Request.
package inference
