package inference

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

func TestTrackerTable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := BudgetConfig{Window: time.Minute, AgentTokens: 1000, SessionTokens: 500, Shares: DefaultShares()}
	type step struct {
		op      string // reserve, settle, release
		at      time.Duration
		c       Charge
		id      int // index of an earlier reserve step
		actual  int
		wantErr error
		scope   string
	}
	a := func(tier Tier, n int) Charge { return Charge{Agent: "a", Tier: tier, Tokens: n} }
	cases := []struct {
		name  string
		steps []step
	}{
		{"fast pool is 70%", []step{
			{op: "reserve", c: a(Nano, 700)},
			{op: "reserve", c: a(Micro, 1), wantErr: ErrOverBudget, scope: "agent"},
			{op: "reserve", c: a(Meso, 300)}, // its own pool
			{op: "reserve", c: a(Meso, 1), wantErr: ErrOverBudget, scope: "agent"},
			{op: "reserve", c: a(Macro, 60)},
			{op: "reserve", c: a(Mega, 90)},
			{op: "reserve", c: a(Mega, 1), wantErr: ErrOverBudget, scope: "agent"},
		}},
		{"settle charges actual, release frees", []step{
			{op: "reserve", c: a(Nano, 600)},
			{op: "settle", id: 0, actual: 100},
			{op: "reserve", c: a(Nano, 600)},
			{op: "release", id: 2},
			{op: "reserve", c: a(Nano, 600)},
			{op: "reserve", c: a(Nano, 1), wantErr: ErrOverBudget, scope: "agent"},
		}},
		{"actual over estimate counts", []step{
			{op: "reserve", c: a(Nano, 10)},
			{op: "settle", id: 0, actual: 700},
			{op: "reserve", c: a(Nano, 1), wantErr: ErrOverBudget, scope: "agent"},
		}},
		{"window resets", []step{
			{op: "reserve", c: a(Nano, 700)},
			{op: "settle", id: 0, actual: 700},
			{op: "reserve", at: 59 * time.Second, c: a(Nano, 1), wantErr: ErrOverBudget, scope: "agent"},
			{op: "reserve", at: 60 * time.Second, c: a(Nano, 700)},
		}},
		{"session allowance", []step{
			{op: "reserve", c: Charge{Agent: "a", Session: "s", Tier: Nano, Tokens: 400}},
			{op: "reserve", c: Charge{Agent: "b", Session: "s", Tier: Nano, Tokens: 101}, wantErr: ErrOverBudget, scope: "session"},
			{op: "reserve", c: Charge{Agent: "b", Session: "s2", Tier: Nano, Tokens: 101}},
		}},
		{"bad charges", []step{
			{op: "reserve", c: a(TierNone, 1), wantErr: ErrBadRequest},
			{op: "reserve", c: a(Nano, 0), wantErr: ErrBadRequest},
			{op: "settle", id: -1, wantErr: ErrUnknownReservation},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := NewTracker(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[int]ReservationID{}
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				var err error
				switch s.op {
				case "reserve":
					ids[i], _, err = tr.Reserve(s.c, now)
				case "settle":
					id := ids[s.id]
					if s.id < 0 {
						id = 999
					}
					_, err = tr.Settle(id, s.actual, now)
				case "release":
					err = tr.Release(ids[s.id], now)
				}
				if !errors.Is(err, s.wantErr) || (err != nil && s.wantErr == nil) {
					t.Fatalf("step %d %s: err %v, want %v", i, s.op, err, s.wantErr)
				}
				var ob *OverBudgetError
				if s.scope != "" && (!errors.As(err, &ob) || ob.Scope != s.scope) {
					t.Fatalf("step %d: %v, want scope %s", i, err, s.scope)
				}
				if ob != nil && !strings.Contains(err.Error(), "limit") {
					t.Fatalf("reason does not name the limit: %v", err)
				}
			}
		})
	}
}

func TestBudgetConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		mut  func(*BudgetConfig)
		want string
	}{
		{func(c *BudgetConfig) { c.Window = 0 }, "budget.window"},
		{func(c *BudgetConfig) { c.AgentTokens = -1 }, "budget.agent_tokens"},
		{func(c *BudgetConfig) { c.SessionTokens = -1 }, "budget.session_tokens"},
		{func(c *BudgetConfig) { c.Shares.Elevated = 1.5 }, "budget.shares.elevated"},
	} {
		c := DefaultBudgetConfig()
		tc.mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want %s", err, tc.want)
		}
	}
}

// TestBudgetExhaustion: requests through the HTTP API draw down an
// agent's fast pool until one is refused 429 with the reason; the window
// ends and requests pass again; /v1/budget and the metrics show it.
func TestBudgetExhaustion(t *testing.T) {
	clk := newClock()
	cfg := localConfig(tinyModel(t))
	cfg.Budget = BudgetConfig{Window: time.Minute, AgentTokens: 200, SessionTokens: 0, Shares: DefaultShares()} // fast pool 140
	n := startNode(t, cfg, clk.Now)
	body := map[string]any{"model": tinyID, "max_tokens": 8, "agent": "alice", "messages": []map[string]any{{"role": "user", "content": "hi"}}}
	served := 0
	var st int
	var raw []byte
	for range 20 {
		if st, raw = post(t, n.URL()+"/chat/completions", body); st != 200 {
			break
		}
		served++
	}
	if st != http.StatusTooManyRequests || served == 0 {
		t.Fatalf("after %d served: %d %s", served, st, raw)
	}
	typ, code := errorCode(t, raw)
	if typ != "insufficient_quota" || code != "budget_exhausted" || !strings.Contains(string(raw), `agent \"alice\" fast pool`) {
		t.Fatalf("error: %s", raw)
	}
	// Another agent still has its allowance.
	other := map[string]any{"model": tinyID, "max_tokens": 8, "agent": "bob", "messages": []map[string]any{{"role": "user", "content": "hi"}}}
	if st, raw := post(t, n.URL()+"/chat/completions", other); st != 200 {
		t.Fatalf("bob: %d %s", st, raw)
	}
	st, raw = get(t, n.srv.URL+"/v1/budget")
	var u Usage
	if err := json.Unmarshal(raw, &u); st != 200 || err != nil || len(u.Agents) != 2 || u.Agents[0].ID != "alice" {
		t.Fatalf("budget: %d %s", st, raw)
	}
	if p := u.Agents[0].Pools[0]; p.Pool != "fast" || p.Limit != 140 || p.Used == 0 || p.Reserved != 0 {
		t.Fatalf("alice fast pool %+v", p)
	}
	if len(u.Tiers) != 5 || u.Tiers[4].Tier != Mega || u.Tiers[4].Tokens != 32768 {
		t.Fatalf("tiers %+v", u.Tiers)
	}
	// Metrics.
	mfs, err := n.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			found[mf.GetName()+labels(m)] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	if found["bizra_budget_tokens_used{tier=NANO}"] <= 0 || found["bizra_budget_rejections_total{scope=agent,tier=NANO}"] != 1 ||
		found["bizra_budget_tokens_reserved{tier=NANO}"] != 0 {
		t.Fatalf("metrics: %v", found)
	}
	// The window ends: alice is served again.
	clk.Advance(time.Minute)
	if st, raw := post(t, n.URL()+"/chat/completions", body); st != 200 {
		t.Fatalf("after window: %d %s", st, raw)
	}
}

func labels(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return "{" + strings.Join(parts, ",") + "}"
}
