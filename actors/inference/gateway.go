package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
)

// refreshEvery is how stale the model catalog may be before a request
// for an unknown model re-lists the backends.
const refreshEvery = 5 * time.Second

// Deps are what a Gateway uses from its node. Every field is optional.
type Deps struct {
	// System hosts the budget actor and local worker pools; nil means the
	// gateway creates (and at Stop shuts down) a system of its own.
	System *actor.ActorSystem
	// Registerer receives the gateway's metrics; nil means unregistered.
	Registerer prometheus.Registerer
	// Governor admits and seals requests; nil means NewGovernor with the
	// default gate, a fresh key and Config.SealTTL.
	Governor Governor
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient is used by OpenAI backends; nil means one per backend.
	HTTPClient *http.Client
	// Getenv reads api_key_env and auth.token_env; nil means os.Getenv.
	Getenv func(string) string
	// OpenEnvelope verifies a request sent in a signed PCI envelope
	// (header Bizra-Envelope: v1, body the binary Envelope, payload type
	// PayloadRequest) and returns its payload (the JSON body) and signer
	// identity; nil means enveloped requests are refused.
	OpenEnvelope func(data []byte) (payload []byte, signer string, err error)
}

// Gateway is the inference gateway: governance, cognitive budget, model
// selection with fallback, and the backends. Infer and InferStream are
// safe for concurrent use once Start has returned.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	getenv  func(string) string
	client  *http.Client
	metrics *Metrics
	gov     Governor
	openEnv func([]byte) ([]byte, string, error)

	system    *actor.ActorSystem
	ownSystem bool

	mu       sync.Mutex // guards state and sel
	state    int        // 0 new, 1 running, 2 stopped
	sel      *Selector
	backends map[string]Backend
	kinds    map[string]string
	budget   *Budget
	inflight sync.WaitGroup
	stopCtx  context.Context
	stopNow  context.CancelFunc

	refreshMu   sync.Mutex
	lastRefresh time.Time

	seq    atomic.Uint64
	prefix string
	tokens [][]byte
}

// NewGateway validates cfg and prepares a gateway; it does no I/O (Start
// opens the backends).
func NewGateway(cfg Config, deps Deps) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: deps.Logger, now: deps.Now, getenv: deps.Getenv, client: deps.HTTPClient,
		gov: deps.Governor, openEnv: deps.OpenEnvelope, system: deps.System, backends: map[string]Backend{}, kinds: map[string]string{}}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.getenv == nil {
		g.getenv = os.Getenv
	}
	m, err := NewMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	g.metrics = m
	if g.gov == nil {
		if g.gov, err = NewGovernor(GovernorConfig{TTL: cfg.SealTTL, Now: g.now}); err != nil {
			return nil, err
		}
	}
	order := make([]string, len(cfg.Backends))
	tiers := map[string]Tier{}
	for i, b := range cfg.Backends {
		order[i], tiers[b.Name] = b.Name, b.Tier
		g.kinds[b.Name] = b.Kind
	}
	g.sel = NewSelector(cfg.Selector, cfg.Breaker, order, tiers)
	for _, t := range cfg.Auth.Tokens {
		g.tokens = append(g.tokens, []byte(t))
	}
	if cfg.Auth.TokenEnv != "" {
		if t := g.getenv(cfg.Auth.TokenEnv); t != "" {
			g.tokens = append(g.tokens, []byte(t))
		} else {
			return nil, fmt.Errorf("%w: auth.token_env: environment variable %s is not set", ErrBadConfig, cfg.Auth.TokenEnv)
		}
	}
	g.prefix = strconv.FormatInt(g.now().UnixNano(), 36)
	g.stopCtx, g.stopNow = context.WithCancel(context.Background())
	return g, nil
}

// Config returns the gateway's configuration.
func (g *Gateway) Config() Config { return g.cfg }

// Metrics returns the gateway's metrics.
func (g *Gateway) Metrics() *Metrics { return g.metrics }

// UseSystem sets the actor system the gateway's actors run in (the node's
// tree), for a gateway made before that system existed. Call it before
// Start.
func (g *Gateway) UseSystem(sys *actor.ActorSystem) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state == 0 {
		g.system = sys
	}
}

// Start opens the backends (loading local models and starting their
// pools), starts the budget actor and lists every backend's models. A
// backend whose listing fails is logged and kept with no models; the
// catalog is listed again when a request names an unknown model.
func (g *Gateway) Start(ctx context.Context) (err error) {
	g.mu.Lock()
	if g.state != 0 {
		g.mu.Unlock()
		return fmt.Errorf("%w: Start called twice or after Stop", ErrStopped)
	}
	g.state = 1
	g.mu.Unlock()
	defer func() {
		if err != nil {
			g.Stop()
		}
	}()
	if g.system == nil {
		g.system, g.ownSystem = actor.NewActorSystem(), true
	}
	for _, bc := range g.cfg.Backends {
		b, err := g.open(bc)
		if err != nil {
			return err
		}
		g.mu.Lock()
		g.backends[bc.Name] = b
		g.mu.Unlock()
	}
	if g.budget, err = StartBudget(g.system, g.cfg.Budget, g.metrics, g.now); err != nil {
		return err
	}
	g.Refresh(ctx)
	return nil
}

func (g *Gateway) open(bc BackendConfig) (Backend, error) {
	switch bc.Kind {
	case KindLocal:
		return OpenLocal(g.system, bc.localConfig())
	default:
		key := ""
		if bc.APIKeyEnv != "" {
			if key = g.getenv(bc.APIKeyEnv); key == "" {
				return nil, fmt.Errorf("%w: backend %s: api_key_env: environment variable %s is not set", ErrBadConfig, bc.Name, bc.APIKeyEnv)
			}
		}
		return NewOpenAI(OpenAIConfig{Name: bc.Name, URL: bc.URL, APIKey: key, Models: bc.Models, Timeout: bc.Timeout, Client: g.client})
	}
}

// Refresh lists every backend's models again (each with a 5 s bound) and
// returns the backends whose listing failed.
func (g *Gateway) Refresh(ctx context.Context) map[string]error {
	g.refreshMu.Lock()
	defer g.refreshMu.Unlock()
	failed := map[string]error{}
	for _, bc := range g.cfg.Backends {
		g.mu.Lock()
		b := g.backends[bc.Name]
		g.mu.Unlock()
		if b == nil {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ms, err := b.Models(lctx)
		cancel()
		if err != nil {
			failed[bc.Name] = err
			g.log.Warn("inference backend model listing failed", "backend", bc.Name, "error", err)
			continue
		}
		ids := make([]string, len(ms))
		for i, m := range ms {
			ids[i] = m.ID
		}
		g.mu.Lock()
		g.sel.SetModels(bc.Name, ids)
		g.mu.Unlock()
	}
	g.lastRefresh = g.now()
	return failed
}

func (g *Gateway) refreshIfStale(ctx context.Context) bool {
	g.refreshMu.Lock()
	stale := g.now().Sub(g.lastRefresh) >= refreshEvery
	g.refreshMu.Unlock()
	if stale {
		g.Refresh(ctx)
	}
	return stale
}

// Stop stops accepting requests, cancels and waits for those in flight,
// then closes the backends and stops the budget actor (and the actor
// system when the gateway made it). Safe to call twice.
func (g *Gateway) Stop() {
	g.mu.Lock()
	if g.state == 2 {
		g.mu.Unlock()
		return
	}
	g.state = 2
	backends := g.backends
	g.mu.Unlock()
	g.stopNow()
	g.inflight.Wait()
	for _, b := range backends {
		if err := b.Close(); err != nil {
			g.log.Warn("closing inference backend", "backend", b.Name(), "error", err)
		}
	}
	if g.budget != nil {
		g.budget.Stop()
	}
	if g.ownSystem && g.system != nil {
		g.system.Shutdown()
	}
}

// enter registers a request in flight; false when not running.
func (g *Gateway) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state != 1 {
		return false
	}
	g.inflight.Add(1)
	return true
}

// Backend returns a started backend by name.
func (g *Gateway) Backend(name string) (Backend, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.backends[name]
	return b, ok
}

// Usage returns the budget snapshot (GET /v1/budget).
func (g *Gateway) Usage(ctx context.Context) (Usage, error) {
	if g.budget == nil {
		return Usage{}, ErrStopped
	}
	return g.budget.Usage(ctx)
}

// ModelEntry is one model the gateway serves.
type ModelEntry struct {
	ID       string   `json:"id"`
	OwnedBy  string   `json:"owned_by"`
	Tier     Tier     `json:"tier"`
	Backends []string `json:"backends"`
}

// Models lists the catalog, one entry per model id, in backend order.
func (g *Gateway) Models() []ModelEntry {
	g.mu.Lock()
	routes := g.sel.Routes()
	g.mu.Unlock()
	var out []ModelEntry
	idx := map[string]int{}
	for _, r := range routes {
		if i, ok := idx[r.Model]; ok {
			out[i].Backends = append(out[i].Backends, r.Backend)
			continue
		}
		owner := r.Backend
		if g.kinds[r.Backend] == KindLocal {
			owner = g.cfg.OwnedBy
		}
		idx[r.Model] = len(out)
		out = append(out, ModelEntry{ID: r.Model, OwnedBy: owner, Tier: r.Tier, Backends: []string{r.Backend}})
	}
	return out
}

// BreakerState is a backend's circuit state now.
func (g *Gateway) BreakerState(backend string) BreakerState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sel.BreakerState(backend, g.now())
}

// RouteError is a request that reached the selector and failed: it
// carries the decisions taken, and wraps the cause (the last backend's
// error, or ErrNoBackend).
type RouteError struct {
	Err       error
	Tier      Tier
	Decisions []Decision
}

func (e *RouteError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RouteError) Unwrap() error { return e.Err }

// Infer runs a request to completion.
func (g *Gateway) Infer(ctx context.Context, req *Request) (*Result, error) {
	return g.run(ctx, req, nil)
}

// InferStream runs a request, passing the generated text to onDelta as
// it comes. Until the first delta, a failing backend is replaced by the
// next in the fallback chain; after it, the failure ends the request.
func (g *Gateway) InferStream(ctx context.Context, req *Request, onDelta OnDelta) (*Result, error) {
	if onDelta == nil {
		onDelta = func(string) error { return nil }
	}
	return g.run(ctx, req, onDelta)
}

// normalize fills defaults and checks the request's own fields.
func (g *Gateway) normalize(r *Request) error {
	if r.ID == "" {
		r.ID = fmt.Sprintf("bz-%s-%d", g.prefix, g.seq.Add(1))
	}
	if r.Agent == "" {
		r.Agent = AnonymousAgent
	}
	if r.MaxTokens == 0 {
		r.MaxTokens = g.cfg.Limits.DefaultMaxTokens
	}
	if r.MaxTokens < 0 {
		return fmt.Errorf("%w: max_tokens %d must be positive", ErrBadRequest, r.MaxTokens)
	}
	switch r.Kind {
	case KindChat:
		if len(r.Messages) == 0 {
			return fmt.Errorf("%w: messages is empty", ErrEmptyPrompt)
		}
		for i, m := range r.Messages {
			switch m.Role {
			case "system", "user", "assistant", "developer":
			default:
				return fmt.Errorf("%w: messages[%d].role %q (want system, user or assistant)", ErrBadRequest, i, m.Role)
			}
		}
	case KindCompletion:
	default:
		return fmt.Errorf("%w: kind %d", ErrBadRequest, r.Kind)
	}
	text := r.PromptText()
	if len(text) == 0 || isBlank(text) {
		return fmt.Errorf("%w: the prompt has no text", ErrEmptyPrompt)
	}
	if len(text) > g.cfg.Limits.MaxPromptBytes {
		return fmt.Errorf("%w: prompt of %d bytes is over the limit of %d bytes", ErrPromptTooLarge, len(text), g.cfg.Limits.MaxPromptBytes)
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 2) {
		return fmt.Errorf("%w: temperature %v not in [0, 2]", ErrBadRequest, *r.Temperature)
	}
	if r.TopP != nil && (*r.TopP < 0 || *r.TopP > 1) {
		return fmt.Errorf("%w: top_p %v not in [0, 1]", ErrBadRequest, *r.TopP)
	}
	for i, s := range r.Stop {
		if s == "" {
			return fmt.Errorf("%w: stop[%d] is empty", ErrBadRequest, i)
		}
	}
	return nil
}

func isBlank(s string) bool {
	for _, c := range s {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func (g *Gateway) run(ctx context.Context, in *Request, onDelta OnDelta) (res *Result, err error) {
	if in == nil {
		return nil, fmt.Errorf("%w: nil request", ErrBadRequest)
	}
	if !g.enter() {
		return nil, ErrStopped
	}
	defer g.inflight.Done()
	start := time.Now()
	tier, backend := TierNone, ""
	defer func() {
		outcome := "ok"
		if err != nil {
			_, outcome, _ = errorClass(err)
		}
		g.metrics.Requests.WithLabelValues(backend, tier.String(), outcome).Inc()
		if err == nil {
			g.metrics.Duration.WithLabelValues(tier.String()).Observe(time.Since(start).Seconds())
		}
	}()

	ctx, cancelStop := context.WithCancelCause(ctx)
	defer cancelStop(nil)
	unhook := context.AfterFunc(g.stopCtx, func() { cancelStop(ErrStopped) })
	defer unhook()
	d := g.cfg.Limits.RequestTimeout
	ctx, cancel := context.WithTimeoutCause(ctx, d, fmt.Errorf("%w: request took longer than %v", ErrBackendTimeout, d))
	defer cancel()

	r := *in
	r.Messages = append([]Message(nil), in.Messages...)
	if err := g.normalize(&r); err != nil {
		return nil, err
	}
	now := g.now()
	res = &Result{ID: r.ID, Object: "inference.result", Created: unixNow(now), Agent: r.Agent, Session: r.Session,
		PromptSHA256: promptHash(r.PromptText())}

	adm, err := g.gov.Admit(ctx, &r)
	if err != nil {
		return nil, err
	}
	res.Governance = &Governance{Admission: adm}

	plan, err := g.plan(ctx, &r)
	if err != nil {
		return nil, err
	}
	tier = plan.Tier
	res.Tier, res.Complexity = plan.Tier, plan.Complexity

	estPrompt := EstimateTokens(r.PromptText())
	rid, _, err := g.budget.Reserve(ctx, Charge{Agent: r.Agent, Session: r.Session, Tier: plan.Tier, Tokens: estPrompt + r.MaxTokens})
	if err != nil {
		return nil, err
	}
	out, cand, decisions, err := g.attempt(ctx, &r, plan, onDelta)
	res.Decisions = decisions
	if err != nil {
		_ = g.budget.Release(rid)
		return nil, &RouteError{Err: err, Tier: plan.Tier, Decisions: decisions}
	}
	backend = cand.Backend
	res.Backend, res.Model, res.Text, res.FinishReason, res.Upstream = cand.Backend, cand.Model, out.Text, out.FinishReason, out.Upstream
	if out.Model != "" && g.kinds[cand.Backend] == KindLocal {
		res.Model = out.Model
	}
	pt, ct := out.PromptTokens, out.CompletionTokens
	if pt == 0 && ct == 0 { // the backend did not count: estimate
		pt, ct = estPrompt, EstimateTokens(out.Text)
	}
	res.Usage = TokenUsage{PromptTokens: pt, CompletionTokens: ct, TotalTokens: pt + ct}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	if res.Budget, err = g.budget.Settle(sctx, rid, pt+ct); err != nil {
		return nil, err
	}
	res.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	proof, err := g.gov.Seal(ctx, &r, res)
	if err != nil {
		return nil, fmt.Errorf("inference: sealing result: %w", err)
	}
	res.Governance.Proof = proof
	return res, nil
}

// plan routes r, re-listing the backends once when the model is unknown.
func (g *Gateway) plan(ctx context.Context, r *Request) (Plan, error) {
	t := Target{Model: r.Model, Complexity: r.Complexity, Tier: r.Tier, PromptTokens: EstimateTokens(r.PromptText()), MaxTokens: r.MaxTokens}
	g.mu.Lock()
	p, err := g.sel.Plan(t)
	g.mu.Unlock()
	if (errors.Is(err, ErrUnknownModel) || errors.Is(err, ErrNoBackend)) && g.refreshIfStale(ctx) {
		g.mu.Lock()
		p, err = g.sel.Plan(t)
		g.mu.Unlock()
	}
	if err != nil && errors.Is(err, ErrNoBackend) {
		return p, &RouteError{Err: err, Tier: p.Tier, Decisions: p.Decisions}
	}
	return p, err
}

// attempt walks the plan's candidates until one answers.
func (g *Gateway) attempt(ctx context.Context, r *Request, plan Plan, onDelta OnDelta) (*Output, Candidate, []Decision, error) {
	decisions := append([]Decision(nil), plan.Decisions...)
	emitted := false
	var deltas OnDelta
	if onDelta != nil {
		deltas = func(s string) error { emitted = true; return onDelta(s) }
	}
	var last error
	for _, c := range plan.Candidates {
		g.mu.Lock()
		ok, why := g.sel.Admit(c.Backend, g.now())
		b := g.backends[c.Backend]
		g.mu.Unlock()
		if !ok || b == nil {
			decisions = append(decisions, Decision{Backend: c.Backend, Model: c.Model, Action: ActionSkip, Reason: why})
			g.metrics.Fallbacks.WithLabelValues(c.Backend, "circuit_open").Inc()
			last = fmt.Errorf("%w: %s: %s", ErrBackendUnavailable, c.Backend, why)
			continue
		}
		t0 := time.Now()
		out, err := g.call(ctx, b, c.Model, r, deltas)
		lat := float64(time.Since(t0).Microseconds()) / 1000
		outcome := OutcomeSuccess
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.Is(err, ErrBackendRejected), errors.Is(err, ErrBadRequest), errors.Is(err, ErrPromptTooLarge):
			outcome = OutcomeNeutral
		default:
			outcome = OutcomeFailure
		}
		g.mu.Lock()
		st := g.sel.Report(c.Backend, outcome, g.now())
		g.mu.Unlock()
		g.metrics.Breaker.WithLabelValues(c.Backend).Set(float64(st))
		if err == nil {
			decisions = append(decisions, Decision{Backend: c.Backend, Model: c.Model, Action: ActionServed, LatencyMS: lat})
			return out, c, decisions, nil
		}
		decisions = append(decisions, Decision{Backend: c.Backend, Model: c.Model, Action: ActionFailed, Error: err.Error(), LatencyMS: lat})
		if ctx.Err() != nil {
			return nil, c, decisions, context.Cause(ctx)
		}
		if outcome == OutcomeNeutral || emitted {
			return nil, c, decisions, err
		}
		_, class, _ := errorClass(err)
		g.metrics.Fallbacks.WithLabelValues(c.Backend, class).Inc()
		g.log.Warn("inference backend failed, trying the next", "backend", c.Backend, "request", r.ID, "error", err)
		last = err
	}
	if last == nil {
		last = fmt.Errorf("%w: no candidate for tier %s", ErrNoBackend, plan.Tier)
	}
	return nil, Candidate{}, decisions, last
}

func (g *Gateway) call(ctx context.Context, b Backend, mdl string, r *Request, onDelta OnDelta) (*Output, error) {
	if r.Kind == KindCompletion {
		cr := CompletionRequest{Model: mdl, Prompt: r.Prompt, MaxTokens: r.MaxTokens, Sampling: r.Sampling}
		if onDelta != nil {
			return b.CompleteStream(ctx, cr, onDelta)
		}
		return b.Complete(ctx, cr)
	}
	cr := ChatRequest{Model: mdl, Messages: r.Messages, MaxTokens: r.MaxTokens, Sampling: r.Sampling}
	if onDelta != nil {
		return b.ChatStream(ctx, cr, onDelta)
	}
	return b.Chat(ctx, cr)
}
