package inference

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus series (seed §10.1: inference
// duration, cognitive budget utilization).
//
//	bizra_budget_tokens_used{tier}            counter, tokens charged
//	bizra_budget_tokens_reserved{tier}        gauge, tokens held by requests in flight
//	bizra_budget_rejections_total{scope,tier} counter, requests refused over budget
//	bizra_budget_utilization{pool}            gauge, used / limit over the agents' current windows
//	bizra_inference_requests_total{backend,tier,outcome} counter (outcome ok or an error class)
//	bizra_inference_duration_seconds{tier}    histogram, whole request
//	bizra_inference_fallbacks_total{backend,reason} counter, backends skipped or failed over
//	bizra_inference_breaker_state{backend}    gauge, 0 closed, 1 half-open, 2 open
type Metrics struct {
	TokensUsed     *prometheus.CounterVec
	TokensReserved *prometheus.GaugeVec
	Rejections     *prometheus.CounterVec
	Utilization    *prometheus.GaugeVec
	Requests       *prometheus.CounterVec
	Duration       *prometheus.HistogramVec
	Fallbacks      *prometheus.CounterVec
	Breaker        *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them on reg (nil: not
// registered). A series already registered by an identical collector is
// reused.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		TokensUsed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizra_budget_tokens_used",
			Help: "Tokens charged to the cognitive budget, by tier."}, []string{"tier"}),
		TokensReserved: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bizra_budget_tokens_reserved",
			Help: "Tokens reserved by inference requests in flight, by tier."}, []string{"tier"}),
		Rejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizra_budget_rejections_total",
			Help: "Inference requests rejected over budget, by scope (agent, session) and tier."}, []string{"scope", "tier"}),
		Utilization: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bizra_budget_utilization",
			Help: "Cognitive budget utilization (used / limit over agents' current windows), by 7-3-6-9 pool."}, []string{"pool"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizra_inference_requests_total",
			Help: "Inference requests by backend, tier and outcome."}, []string{"backend", "tier", "outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "bizra_inference_duration_seconds",
			Help: "Inference request duration by tier.", Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12)}, []string{"tier"}),
		Fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bizra_inference_fallbacks_total",
			Help: "Backends skipped or failed over, by backend and reason."}, []string{"backend", "reason"}),
		Breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bizra_inference_breaker_state",
			Help: "Circuit breaker state per backend: 0 closed, 1 half-open, 2 open."}, []string{"backend"}),
	}
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.TokensUsed, m.TokensReserved, m.Rejections, m.Utilization, m.Requests, m.Duration, m.Fallbacks, m.Breaker}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
			cs[i] = are.ExistingCollector
		}
	}
	m.TokensUsed = cs[0].(*prometheus.CounterVec)
	m.TokensReserved = cs[1].(*prometheus.GaugeVec)
	m.Rejections = cs[2].(*prometheus.CounterVec)
	m.Utilization = cs[3].(*prometheus.GaugeVec)
	m.Requests = cs[4].(*prometheus.CounterVec)
	m.Duration = cs[5].(*prometheus.HistogramVec)
	m.Fallbacks = cs[6].(*prometheus.CounterVec)
	m.Breaker = cs[7].(*prometheus.GaugeVec)
	return m, nil
}
