package inference

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Pool is one of the four allocation pools of the 7-3-6-9 signature:
// NANO and MICRO share the fast pool.
type Pool int

// Pools.
const (
	PoolFast        Pool = iota // NANO + MICRO, 70 %
	PoolStandard                // MESO, 30 %
	PoolElevated                // MACRO, 6 %
	PoolExceptional             // MEGA, 9 %
	numPools
)

var poolNames = [...]string{"fast", "standard", "elevated", "exceptional"}

func (p Pool) String() string { return poolNames[p] }

// PoolOf returns the pool a tier draws from.
func PoolOf(t Tier) Pool {
	switch t {
	case Meso:
		return PoolStandard
	case Macro:
		return PoolElevated
	case Mega:
		return PoolExceptional
	}
	return PoolFast
}

// Shares is the 7-3-6-9 allocation: the fraction of an agent's window
// allowance each pool may use. The seed's values (0.70, 0.30, 0.06, 0.09)
// add up to 1.15: the pools are ceilings, not a partition, so an agent
// can never spend more than its allowance in the fast and standard pools
// together, while the two rare pools keep a reserve of their own.
type Shares struct {
	Fast        float64 `yaml:"fast" json:"fast"`               // NANO + MICRO
	Standard    float64 `yaml:"standard" json:"standard"`       // MESO
	Elevated    float64 `yaml:"elevated" json:"elevated"`       // MACRO
	Exceptional float64 `yaml:"exceptional" json:"exceptional"` // MEGA
}

// DefaultShares is the seed's 7-3-6-9 signature.
func DefaultShares() Shares {
	return Shares{Fast: 0.70, Standard: 0.30, Elevated: 0.06, Exceptional: 0.09}
}

// Of returns the share of pool p.
func (s Shares) Of(p Pool) float64 {
	return [...]float64{s.Fast, s.Standard, s.Elevated, s.Exceptional}[p]
}

// BudgetConfig sets the token allowances.
//
// Window rule: each agent and each session has a fixed window that starts
// at its first charge and lasts Window; when a charge or snapshot comes at
// or after the window's end, the used counts go back to zero and a new
// window starts then. Reservations still in flight stay reserved across a
// window change and are charged to the window in which they settle.
type BudgetConfig struct {
	// Window is the accounting period.
	Window time.Duration `yaml:"window" json:"window"`
	// AgentTokens is an agent's allowance per window; pool p may use
	// floor(AgentTokens * Shares.Of(p)) of it. 0 means unlimited.
	AgentTokens int `yaml:"agent_tokens" json:"agent_tokens"`
	// SessionTokens is a session's allowance per window over all tiers.
	// 0 means unlimited.
	SessionTokens int `yaml:"session_tokens" json:"session_tokens"`
	// Shares is the 7-3-6-9 allocation.
	Shares Shares `yaml:"shares" json:"shares"`
}

// DefaultBudgetConfig allows each agent 1,000,000 tokens and each session
// 200,000 tokens per hour, split 7-3-6-9.
func DefaultBudgetConfig() BudgetConfig {
	return BudgetConfig{Window: time.Hour, AgentTokens: 1_000_000, SessionTokens: 200_000, Shares: DefaultShares()}
}

// Validate checks the fields.
func (c BudgetConfig) Validate() error {
	switch {
	case c.Window <= 0:
		return fmt.Errorf("%w: budget.window %v must be positive", ErrBadConfig, c.Window)
	case c.AgentTokens < 0:
		return fmt.Errorf("%w: budget.agent_tokens %d is negative", ErrBadConfig, c.AgentTokens)
	case c.SessionTokens < 0:
		return fmt.Errorf("%w: budget.session_tokens %d is negative", ErrBadConfig, c.SessionTokens)
	}
	for p := range numPools {
		if v := c.Shares.Of(p); math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("%w: budget.shares.%s %v not in [0,1]", ErrBadConfig, p, v)
		}
	}
	return nil
}

// PoolLimit is an agent's allowance in pool p per window; -1 means
// unlimited.
func (c BudgetConfig) PoolLimit(p Pool) int64 {
	if c.AgentTokens == 0 {
		return -1
	}
	return int64(math.Floor(float64(c.AgentTokens) * c.Shares.Of(p)))
}

// Charge is what a request asks the budget for.
type Charge struct {
	Agent   string
	Session string // "" when the request has no session
	Tier    Tier
	Tokens  int // estimated prompt tokens + max_tokens
}

// OverBudgetError says which allowance a request would exceed. It wraps
// ErrOverBudget.
type OverBudgetError struct {
	Scope     string // "agent" or "session"
	Key       string // the agent or session id
	Tier      Tier
	Pool      Pool // for scope agent
	Used      int64
	Reserved  int64
	Requested int64
	Limit     int64
	ResetAt   time.Time
}

func (e *OverBudgetError) Error() string {
	what := fmt.Sprintf("agent %q %s pool (tier %s)", e.Key, e.Pool, e.Tier)
	if e.Scope == "session" {
		what = fmt.Sprintf("session %q", e.Key)
	}
	return fmt.Sprintf("%v: %s: used %d + reserved %d + requested %d tokens > limit %d per window (resets at %s)",
		ErrOverBudget, what, e.Used, e.Reserved, e.Requested, e.Limit, e.ResetAt.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrOverBudget.
func (e *OverBudgetError) Unwrap() error { return ErrOverBudget }

// ReservationID names a reservation.
type ReservationID uint64

// Balance is the state of the allowances a charge touched, after it.
type Balance struct {
	Agent        string    `json:"agent"`
	Session      string    `json:"session,omitempty"`
	Tier         Tier      `json:"tier"`
	Pool         string    `json:"pool"`
	Tokens       int64     `json:"tokens"`      // reserved (Reserve) or charged (Settle)
	AgentUsed    int64     `json:"agent_used"`  // in the pool, this window
	AgentLimit   int64     `json:"agent_limit"` // -1 unlimited
	SessionUsed  int64     `json:"session_used,omitempty"`
	SessionLimit int64     `json:"session_limit,omitempty"`
	ResetAt      time.Time `json:"reset_at"`
}

type account struct {
	start    time.Time
	used     [numPools]int64
	reserved [numPools]int64
}

func (a *account) roll(now time.Time, window time.Duration) {
	if a.start.IsZero() || !now.Before(a.start.Add(window)) {
		a.start = now
		a.used = [numPools]int64{}
	}
}

type reservation struct {
	agent, session string
	tier           Tier
	tokens         int64
}

// Tracker is the budget's pure core: it keeps per-agent and per-session
// usage. It is not safe for concurrent use (the budget actor owns it).
//
// A request Reserves its estimate before it runs (rejected with an
// *OverBudgetError when used + reserved + estimate would pass a limit),
// Settles with the actual tokens when it ends (actual may exceed the
// estimate; the next request then sees it), or Releases the reservation
// when it fails without output.
type Tracker struct {
	cfg      BudgetConfig
	agents   map[string]*account
	sessions map[string]*account
	res      map[ReservationID]reservation
	nextID   ReservationID
	ops      int
}

// NewTracker returns an empty tracker.
func NewTracker(cfg BudgetConfig) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{cfg: cfg, agents: map[string]*account{}, sessions: map[string]*account{}, res: map[ReservationID]reservation{}}, nil
}

// Config returns the tracker's configuration.
func (t *Tracker) Config() BudgetConfig { return t.cfg }

func (t *Tracker) acct(m map[string]*account, key string, now time.Time) *account {
	a := m[key]
	if a == nil {
		a = &account{}
		m[key] = a
	}
	a.roll(now, t.cfg.Window)
	return a
}

// Reserve holds c.Tokens against the agent's pool for c.Tier and the
// session's allowance.
func (t *Tracker) Reserve(c Charge, now time.Time) (ReservationID, Balance, error) {
	if !c.Tier.Valid() {
		return 0, Balance{}, fmt.Errorf("%w: budget charge without a valid tier", ErrBadRequest)
	}
	if c.Tokens <= 0 {
		return 0, Balance{}, fmt.Errorf("%w: budget charge of %d tokens", ErrBadRequest, c.Tokens)
	}
	t.sweep(now)
	p, n := PoolOf(c.Tier), int64(c.Tokens)
	ag := t.acct(t.agents, c.Agent, now)
	if lim := t.cfg.PoolLimit(p); lim >= 0 && ag.used[p]+ag.reserved[p]+n > lim {
		return 0, Balance{}, &OverBudgetError{Scope: "agent", Key: c.Agent, Tier: c.Tier, Pool: p,
			Used: ag.used[p], Reserved: ag.reserved[p], Requested: n, Limit: lim, ResetAt: ag.start.Add(t.cfg.Window)}
	}
	var se *account
	if c.Session != "" {
		se = t.acct(t.sessions, c.Session, now)
		if lim := int64(t.cfg.SessionTokens); lim > 0 && se.used[0]+se.reserved[0]+n > lim {
			return 0, Balance{}, &OverBudgetError{Scope: "session", Key: c.Session, Tier: c.Tier, Pool: p,
				Used: se.used[0], Reserved: se.reserved[0], Requested: n, Limit: lim, ResetAt: se.start.Add(t.cfg.Window)}
		}
		se.reserved[0] += n
	}
	ag.reserved[p] += n
	t.nextID++
	t.res[t.nextID] = reservation{agent: c.Agent, session: c.Session, tier: c.Tier, tokens: n}
	return t.nextID, t.balance(c.Agent, c.Session, c.Tier, n, now), nil
}

// Settle ends a reservation, charging actual tokens.
func (t *Tracker) Settle(id ReservationID, actual int, now time.Time) (Balance, error) {
	r, ok := t.res[id]
	if !ok {
		return Balance{}, fmt.Errorf("%w: %d", ErrUnknownReservation, id)
	}
	delete(t.res, id)
	p, n := PoolOf(r.tier), int64(max(actual, 0))
	ag := t.acct(t.agents, r.agent, now)
	ag.reserved[p] -= r.tokens
	ag.used[p] += n
	if r.session != "" {
		se := t.acct(t.sessions, r.session, now)
		se.reserved[0] -= r.tokens
		se.used[0] += n
	}
	return t.balance(r.agent, r.session, r.tier, n, now), nil
}

// Release ends a reservation without charging it.
func (t *Tracker) Release(id ReservationID, now time.Time) error {
	r, ok := t.res[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownReservation, id)
	}
	delete(t.res, id)
	p := PoolOf(r.tier)
	t.acct(t.agents, r.agent, now).reserved[p] -= r.tokens
	if r.session != "" {
		t.acct(t.sessions, r.session, now).reserved[0] -= r.tokens
	}
	return nil
}

func (t *Tracker) balance(agent, session string, tier Tier, n int64, now time.Time) Balance {
	p := PoolOf(tier)
	ag := t.agents[agent]
	b := Balance{Agent: agent, Session: session, Tier: tier, Pool: p.String(), Tokens: n,
		AgentUsed: ag.used[p], AgentLimit: t.cfg.PoolLimit(p), ResetAt: ag.start.Add(t.cfg.Window)}
	if se := t.sessions[session]; session != "" && se != nil {
		b.SessionUsed, b.SessionLimit = se.used[0], int64(t.cfg.SessionTokens)
	}
	return b
}

// sweep forgets idle accounts whose window has ended, every 1024 calls.
func (t *Tracker) sweep(now time.Time) {
	t.ops++
	if t.ops%1024 != 0 {
		return
	}
	for _, m := range []map[string]*account{t.agents, t.sessions} {
		for k, a := range m {
			if !now.Before(a.start.Add(t.cfg.Window)) && a.reserved == ([numPools]int64{}) {
				delete(m, k)
			}
		}
	}
}

// PoolUsage is one pool of an agent's allowance.
type PoolUsage struct {
	Pool     string  `json:"pool"`
	Tiers    []Tier  `json:"tiers"`
	Share    float64 `json:"share"`
	Used     int64   `json:"used"`
	Reserved int64   `json:"reserved"`
	Limit    int64   `json:"limit"` // -1 unlimited
}

// AccountUsage is one agent's or session's window.
type AccountUsage struct {
	ID       string      `json:"id"`
	Start    time.Time   `json:"window_start"`
	ResetAt  time.Time   `json:"reset_at"`
	Pools    []PoolUsage `json:"pools,omitempty"` // agents
	Used     int64       `json:"used"`
	Reserved int64       `json:"reserved"`
	Limit    int64       `json:"limit"` // -1 unlimited
}

// Usage is the budget's state, served as JSON by GET /v1/budget.
type Usage struct {
	Time     time.Time      `json:"time"`
	Window   string         `json:"window"`
	Shares   Shares         `json:"shares"`
	Tiers    []TierUsage    `json:"tiers"`
	Agents   []AccountUsage `json:"agents"`
	Sessions []AccountUsage `json:"sessions"`
	// Reservations is the number of requests in flight.
	Reservations int `json:"reservations"`
}

// TierUsage is a tier's spec with the tokens used in current windows.
type TierUsage struct {
	Tier      Tier   `json:"tier"`
	Pool      string `json:"pool"`
	Tokens    int    `json:"tokens"`
	Latency   string `json:"latency_target"`
	ModelSize string `json:"model_size"`
	UseCase   string `json:"use_case"`
}

var poolTiers = [numPools][]Tier{{Nano, Micro}, {Meso}, {Macro}, {Mega}}

// Snapshot returns the usage at now (expired windows read as empty).
func (t *Tracker) Snapshot(now time.Time) Usage {
	u := Usage{Time: now, Window: t.cfg.Window.String(), Shares: t.cfg.Shares, Reservations: len(t.res),
		Agents: []AccountUsage{}, Sessions: []AccountUsage{}}
	for _, tr := range AllTiers() {
		s := tr.Spec()
		u.Tiers = append(u.Tiers, TierUsage{Tier: tr, Pool: PoolOf(tr).String(), Tokens: s.Tokens,
			Latency: s.Latency.String(), ModelSize: s.ModelSize, UseCase: s.UseCase})
	}
	for k, a := range t.agents {
		a.roll(now, t.cfg.Window)
		au := AccountUsage{ID: k, Start: a.start, ResetAt: a.start.Add(t.cfg.Window), Limit: -1}
		if t.cfg.AgentTokens > 0 {
			au.Limit = int64(t.cfg.AgentTokens)
		}
		for p := range numPools {
			au.Pools = append(au.Pools, PoolUsage{Pool: p.String(), Tiers: poolTiers[p], Share: t.cfg.Shares.Of(p),
				Used: a.used[p], Reserved: a.reserved[p], Limit: t.cfg.PoolLimit(p)})
			au.Used += a.used[p]
			au.Reserved += a.reserved[p]
		}
		u.Agents = append(u.Agents, au)
	}
	for k, a := range t.sessions {
		a.roll(now, t.cfg.Window)
		lim := int64(-1)
		if t.cfg.SessionTokens > 0 {
			lim = int64(t.cfg.SessionTokens)
		}
		u.Sessions = append(u.Sessions, AccountUsage{ID: k, Start: a.start, ResetAt: a.start.Add(t.cfg.Window),
			Used: a.used[0], Reserved: a.reserved[0], Limit: lim})
	}
	sort.Slice(u.Agents, func(i, j int) bool { return u.Agents[i].ID < u.Agents[j].ID })
	sort.Slice(u.Sessions, func(i, j int) bool { return u.Sessions[i].ID < u.Sessions[j].ID })
	return u
}
