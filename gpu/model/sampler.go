package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// SamplerConfig controls next-token selection.
type SamplerConfig struct {
	// Temperature divides the logits; 0 means greedy (argmax).
	Temperature float64
	// TopK keeps the K most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches P; 0 or 1 keeps all.
	TopP float64
	// Seed makes sampling repeatable.
	Seed uint64
}

// DefaultSamplerConfig is greedy decoding.
func DefaultSamplerConfig() SamplerConfig { return SamplerConfig{} }

// Validate checks the fields.
func (c SamplerConfig) Validate() error {
	switch {
	case c.Temperature < 0 || math.IsNaN(c.Temperature):
		return fmt.Errorf("%w: Temperature %g", ErrBadConfig, c.Temperature)
	case c.TopK < 0:
		return fmt.Errorf("%w: TopK %d", ErrBadConfig, c.TopK)
	case c.TopP < 0 || c.TopP > 1 || math.IsNaN(c.TopP):
		return fmt.Errorf("%w: TopP %g", ErrBadConfig, c.TopP)
	}
	return nil
}

// Sampler picks tokens from logits. It is not safe for concurrent use.
type Sampler struct {
	cfg  SamplerConfig
	rng  *rand.Rand
	cand []candidate
}

type candidate struct {
	id int
	p  float64
}

// NewSampler returns a sampler for cfg.
func NewSampler(cfg SamplerConfig) *Sampler {
	return &Sampler{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))}
}

// Sample returns the chosen token id.
func (s *Sampler) Sample(logits []float32) int {
	if s.cfg.Temperature <= 0 {
		return Argmax(logits)
	}
	c := s.cand[:0]
	for i, l := range logits {
		c = append(c, candidate{i, float64(l) / s.cfg.Temperature})
	}
	sort.Slice(c, func(i, j int) bool {
		if c[i].p != c[j].p {
			return c[i].p > c[j].p
		}
		return c[i].id < c[j].id
	})
	if k := s.cfg.TopK; k > 0 && k < len(c) {
		c = c[:k]
	}
	m := c[0].p
	var sum float64
	for i := range c {
		c[i].p = math.Exp(c[i].p - m)
		sum += c[i].p
	}
	for i := range c {
		c[i].p /= sum
	}
	if tp := s.cfg.TopP; tp > 0 && tp < 1 {
		var cum float64
		for i := range c {
			cum += c[i].p
			if cum >= tp {
				c = c[:i+1]
				break
			}
		}
		sum = cum
	} else {
		sum = 1
	}
	s.cand = c
	r := s.rng.Float64() * sum
	for _, x := range c {
		r -= x.p
		if r < 0 {
			return x.id
		}
	}
	return c[len(c)-1].id
}

// Argmax returns the index of the largest value (the first on ties).
func Argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
