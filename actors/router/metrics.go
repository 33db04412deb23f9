package router

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the golden signals of task routing (seed §10.1): traffic,
// latency, errors and saturation.
type Metrics struct {
	Tasks    *prometheus.CounterVec
	Duration *prometheus.HistogramVec
	Errors   *prometheus.CounterVec
	InFlight prometheus.Gauge
	Restarts *prometheus.CounterVec
	// Anomalies counts NTU anomalies by agent.
	Anomalies *prometheus.CounterVec
	routes    *Routes
}

// NewMetrics creates the routing metrics and registers them with reg.
// Saturation is read from routes at scrape time.
func NewMetrics(reg prometheus.Registerer, routes *Routes) *Metrics {
	m := &Metrics{
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bizra_tasks_total",
			Help: "TaskCards answered, by capability and final state.",
		}, []string{"capability", "state"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bizra_task_duration_seconds",
			Help:    "Time from receiving a TaskCard to its result, by capability.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"capability"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bizra_task_errors_total",
			Help: "TaskCards that did not complete, by error code.",
		}, []string{"code"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bizra_tasks_in_flight",
			Help: "TaskCards admitted and not yet answered.",
		}),
		Restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bizra_agent_restarts_total",
			Help: "Agent restarts after a crash, by agent.",
		}, []string{"agent"}),
		Anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bizra_ntu_anomalies_total",
			Help: "Anomalies raised by NTU monitors, by agent.",
		}, []string{"agent"}),
		routes: routes,
	}
	reg.MustRegister(m.Tasks, m.Duration, m.Errors, m.InFlight, m.Restarts, m.Anomalies, &saturation{routes: routes})
	return m
}

var (
	saturationDesc = prometheus.NewDesc("bizra_agent_mailbox_saturation",
		"Tasks in an agent's mailbox divided by its bound (1 = full: new tasks are rejected as overloaded).",
		[]string{"agent"}, nil)
	agentsDesc = prometheus.NewDesc("bizra_agents",
		"Agents the node routes to, by kind.", []string{"kind"}, nil)
)

// saturation reads the mailbox fill of every agent at scrape time.
type saturation struct{ routes *Routes }

func (s *saturation) Describe(ch chan<- *prometheus.Desc) {
	ch <- saturationDesc
	ch <- agentsDesc
}

func (s *saturation) Collect(ch chan<- prometheus.Metric) {
	kinds := map[string]int{}
	for _, e := range s.routes.Load().Agents() {
		ch <- prometheus.MustNewConstMetric(saturationDesc, prometheus.GaugeValue,
			float64(e.Load.InFlight())/float64(e.Capacity), e.Name)
		kinds[e.Kind]++
	}
	for k, n := range kinds {
		ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(n), k)
	}
}
