package market

import "github.com/prometheus/client_golang/prometheus"

// RegisterMetrics registers the market's metrics with reg; each is read
// from the ledger at scrape time:
//
//	bizra_market_licenses_active      licenses held by an identity (gauge)
//	bizra_market_licenses             licenses in the market (gauge)
//	bizra_market_tax_collected_total  credits collected as Harberger tax (counter)
//	bizra_market_supply_credits       credits issued (gauge)
//	bizra_market_pool_credits         credits in the pool awaiting the dividend (gauge)
//	bizra_market_gini                 Gini coefficient of the wealth distribution (gauge)
func (m *Market) RegisterMetrics(reg prometheus.Registerer) error {
	held := func() (n, all float64) {
		for _, l := range m.led.Licenses() {
			all++
			if l.Held() {
				n++
			}
		}
		return n, all
	}
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bizra_market_licenses_active",
			Help: "Licenses held by an identity (not by the market)."},
			func() float64 { n, _ := held(); return n }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bizra_market_licenses",
			Help: "Licenses in the market."},
			func() float64 { _, all := held(); return all }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "bizra_market_tax_collected_total",
			Help: "Credits collected as Harberger tax."},
			func() float64 { return m.led.Totals().TaxCollected.Credits() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bizra_market_supply_credits",
			Help: "Credits issued (the sum of all balances)."},
			func() float64 { return m.led.Totals().Issued.Credits() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bizra_market_pool_credits",
			Help: "Credits in the pool (tax and charges) awaiting the epoch dividend."},
			func() float64 { return m.led.Totals().Pool.Credits() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bizra_market_gini",
			Help: "Gini coefficient of the wealth distribution (credits plus declared license values per identity)."},
			func() float64 { return m.led.Gini() }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
