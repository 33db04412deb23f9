// Package ntu implements the NeuroTemporal Unit (blueprint §4.1, §5.1): a
// minimal pattern detector over a stream of scores in [0,1], such as gate
// scores, normalised latencies or result scores of one agent.
//
// The package is a pure core: NTU.Observe takes an observation and the
// time and returns an Effect (new state, detection, anomalies) as a value.
// A monitor actor owns an NTU per metric and publishes the anomalies.
//
// # State
//
// The state is (belief, entropy, potential) ∈ [0,1]³, plus the window mean
// and an iteration count. The window W holds the last w accepted
// observations (w = Config.Window, 5 by default); n = |W| ≤ w.
//
// # Update equations
//
// For an observation x (clamped into [0,1]; NaN and ±Inf are rejected and
// leave the state unchanged), x enters W, evicting the oldest value when W
// is full. Then, with b the previous belief,
//
//	m    = (1/n) · Σ_{x_i ∈ W} x_i                      window mean
//	p    = (κ·b + Σ_{x_i ∈ W} x_i) / (κ + n)            posterior mean (prior term)
//	b'   = γ·b + α·m + β·p                              belief
//	H'   = −m·log₂m − (1−m)·log₂(1−m)                   entropy (H(0) = H(1) = 0)
//	P'   = 1 − 4·Var(W),  Var(W) = (1/n)Σx_i² − m²      potential
//
// with α = 0.4 (temporal weight), β = 0.35 (prior weight), γ = 0.25
// (persistence) and κ = Config.PriorStrength (1 by default).
//
// p is the mean of the Beta posterior obtained from a Beta prior with mean
// b and concentration κ, updated with the window's n observations as
// fractional Bernoulli outcomes (Bayesian conjugate update). H' is the
// Shannon entropy in bits of a Bernoulli variable whose success probability
// is the window mean: the uncertainty about the next outcome. P' measures
// the window's consistency, hence how predictable the next observation is:
// by Popoviciu's inequality Var(W) ≤ 1/4 for values in [0,1], so P' ∈ [0,1],
// with P' = 1 for a constant window and P' = 0 for a window split evenly
// between 0 and 1.
//
// Properties (tested):
//
//   - Bounds. α, β, γ ≥ 0 and α+β+γ = 1 (Config.Validate), and m, p, b ∈ [0,1],
//     so b' is a convex combination of values in [0,1]. Each output is also
//     clamped into [0,1].
//   - Convergence. For a sustained signal x, once W is full,
//     b' − x = (γ + β·κ/(κ+w))·(b − x), a contraction (factor ≈ 0.308 with
//     the defaults), so the belief converges geometrically to x.
//   - Detection. A pattern is detected while b ≥ Threshold (0.95). A
//     sustained signal above the threshold is detected within a few
//     observations; noise whose mean stays below it is not.
//   - Window. m, H' and P' depend only on the last w observations; the
//     influence of older observations on b decays by that same factor per step.
//
// Before any observation, belief = Config.InitialBelief (0.5), entropy = the
// binary entropy of that belief, potential = 0 and mean = 0.
//
// Observe runs in O(1) and does not allocate: W is a ring buffer of
// fixed-point values (quantum 2⁻²⁴) with exact integer running sums Σx
// and Σx², so the statistics never drift.
//
// # Anomalies
//
// An Effect carries a set of anomalies: AnomalyRejected (non-finite input),
// AnomalyOutlier (|x − m_prev| > Config.OutlierDistance against a full
// preceding window), AnomalyBeliefLow (belief crossed below
// Config.BeliefFloor) and AnomalyDetectionLost (belief fell below the
// threshold after a detection). Crossings are edge-triggered.
//
// MinimalDetect is the functional form: it runs a fresh NTU over a slice
// and returns (detected, final belief).
package ntu
