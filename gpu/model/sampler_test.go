package model

import (
	"math"
	"testing"
)

func TestSampler(t *testing.T) {
	logits := []float32{1, 3, 2, 0.5, 2.9}
	if got := NewSampler(SamplerConfig{}).Sample(logits); got != 1 {
		t.Fatalf("greedy %d", got)
	}
	// top-k 1 and a tiny top-p are greedy whatever the temperature.
	for seed := uint64(0); seed < 50; seed++ {
		if got := NewSampler(SamplerConfig{Temperature: 5, TopK: 1, Seed: seed}).Sample(logits); got != 1 {
			t.Fatalf("top-k 1 gave %d", got)
		}
		if got := NewSampler(SamplerConfig{Temperature: 5, TopP: 0.01, Seed: seed}).Sample(logits); got != 1 {
			t.Fatalf("top-p 0.01 gave %d", got)
		}
		if got := NewSampler(SamplerConfig{Temperature: 1, TopK: 2, Seed: seed}).Sample(logits); got != 1 && got != 4 {
			t.Fatalf("top-k 2 gave %d", got)
		}
	}
	// Frequencies at temperature 1 follow the softmax.
	s := NewSampler(SamplerConfig{Temperature: 1, Seed: 42})
	const n = 20000
	counts := make([]int, len(logits))
	for i := 0; i < n; i++ {
		counts[s.Sample(logits)]++
	}
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l))
	}
	for i, l := range logits {
		p := math.Exp(float64(l)) / z
		sd := math.Sqrt(p * (1 - p) / n)
		if got := float64(counts[i]) / n; math.Abs(got-p) > 5*sd {
			t.Errorf("token %d: frequency %.4f, probability %.4f", i, got, p)
		}
	}
	// top-p 0.6 keeps tokens 1 and 4 (0.37+0.33 >= 0.6) only.
	s = NewSampler(SamplerConfig{Temperature: 1, TopP: 0.6, Seed: 1})
	for i := 0; i < 2000; i++ {
		if got := s.Sample(logits); got != 1 && got != 4 {
			t.Fatalf("top-p 0.6 gave %d", got)
		}
	}
	if err := (SamplerConfig{TopP: 1.5}).Validate(); err == nil {
		t.Error("TopP 1.5 accepted")
	}
}
