package model

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/bizra/bizra/gpu/gguf"
)

// Item is one row of a forward batch: a token appended to a sequence.
type Item struct {
	Seq    *Sequence
	Token  int
	Logits bool // whether to compute this row's output logits
}

// Forward runs one step over a batch. Items of the same sequence must
// appear in position order; they take positions Seq.Pos, Seq.Pos+1, ...,
// and each Seq.Pos advances by its item count. Every weight matrix is read
// once for the whole batch. logits receives Vocab values for each item with
// Logits set, in item order; it must hold that many rows.
func (m *Model) Forward(batch []Item, logits []float32) error {
	p := m.P
	n := len(batch)
	if n == 0 {
		return nil
	}
	pos := make([]int, n)
	next := map[*Sequence]int{}
	nOut := 0
	for i, it := range batch {
		if it.Token < 0 || it.Token >= p.Vocab {
			return fmt.Errorf("%w: %d", ErrBadToken, it.Token)
		}
		if _, ok := next[it.Seq]; !ok {
			next[it.Seq] = it.Seq.Pos
		}
		pos[i] = next[it.Seq]
		next[it.Seq]++
		if pos[i] >= it.Seq.MaxPos {
			return fmt.Errorf("%w: position %d of %d", ErrContextFull, pos[i], it.Seq.MaxPos)
		}
		if it.Logits {
			nOut++
		}
	}
	if len(logits) < nOut*p.Vocab {
		return fmt.Errorf("%w: logits buffer %d < %d", ErrBadConfig, len(logits), nOut*p.Vocab)
	}
	E, kvd, hd := p.Embd, p.KVDim(), p.HeadDim
	x := make([]float32, n*E)
	xb := make([]float32, n*E)
	q := make([]float32, n*E)
	k := make([]float32, n*kvd)
	v := make([]float32, n*kvd)
	att := make([]float32, n*E)
	g := make([]float32, n*p.FFN)
	u := make([]float32, n*p.FFN)
	ropes := make([]RopeTable, n)
	for i, it := range batch {
		if err := gguf.Dequantize(m.Embd.Type, m.Embd.Row(it.Token), x[i*E:(i+1)*E]); err != nil {
			return err
		}
		ropes[i] = NewRopeTable(pos[i], hd, p.RopeBase)
	}
	mm := func(y []float32, w *Weight, in []float32) error { return m.be.MatMul(y, w, in, n) }
	for li := range m.Layers {
		l := &m.Layers[li]
		for i := 0; i < n; i++ {
			RMSNorm(xb[i*E:(i+1)*E], x[i*E:(i+1)*E], l.AttnNorm, p.NormEps)
		}
		if err := mm(q, l.Q, xb); err != nil {
			return err
		}
		if err := mm(k, l.K, xb); err != nil {
			return err
		}
		if err := mm(v, l.V, xb); err != nil {
			return err
		}
		for i, it := range batch {
			qi, ki, vi := q[i*E:(i+1)*E], k[i*kvd:(i+1)*kvd], v[i*kvd:(i+1)*kvd]
			if l.QB != nil {
				addTo(qi, l.QB)
				addTo(ki, l.KB)
				addTo(vi, l.VB)
			}
			ApplyRoPE(qi, ropes[i], p.RopeNeox)
			ApplyRoPE(ki, ropes[i], p.RopeNeox)
			copy(it.Seq.k[li][pos[i]*kvd:], ki)
			copy(it.Seq.v[li][pos[i]*kvd:], vi)
		}
		m.attention(batch, pos, li, q, att)
		if err := mm(xb, l.O, att); err != nil {
			return err
		}
		addTo(x, xb)
		for i := 0; i < n; i++ {
			RMSNorm(xb[i*E:(i+1)*E], x[i*E:(i+1)*E], l.FFNNorm, p.NormEps)
		}
		if err := mm(g, l.Gate, xb); err != nil {
			return err
		}
		if err := mm(u, l.Up, xb); err != nil {
			return err
		}
		for j := range g {
			g[j] = silu(g[j]) * u[j]
		}
		if err := mm(xb, l.Down, g); err != nil {
			return err
		}
		addTo(x, xb)
	}
	for s, c := range next {
		s.Pos = c
	}
	if nOut == 0 {
		return nil
	}
	sel := make([]float32, nOut*E)
	j := 0
	for i, it := range batch {
		if it.Logits {
			RMSNorm(sel[j*E:(j+1)*E], x[i*E:(i+1)*E], m.OutNorm, p.NormEps)
			j++
		}
	}
	return m.be.MatMul(logits, m.Out, sel, nOut)
}

func addTo(dst, src []float32) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// attention computes softmax(q·K/sqrt(d))·V per item and head against the
// item's sequence cache up to its own position, in parallel over items and
// heads.
func (m *Model) attention(batch []Item, pos []int, li int, q, out []float32) {
	p := m.P
	E, kvd, hd := p.Embd, p.KVDim(), p.HeadDim
	group := p.Heads / p.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	tasks := len(batch) * p.Heads
	work := func(task int, scores []float32) []float32 {
		i, h := task/p.Heads, task%p.Heads
		seq := batch[i].Seq
		kvh := h / group
		qh := q[i*E+h*hd : i*E+(h+1)*hd]
		n := pos[i] + 1
		if cap(scores) < n {
			scores = make([]float32, n)
		}
		scores = scores[:n]
		kc, vc := seq.k[li], seq.v[li]
		for t := 0; t < n; t++ {
			scores[t] = dotN(qh, kc[t*kvd+kvh*hd:t*kvd+(kvh+1)*hd]) * scale
		}
		Softmax(scores)
		o := out[i*E+h*hd : i*E+(h+1)*hd]
		clear(o)
		for t := 0; t < n; t++ {
			a := scores[t]
			vt := vc[t*kvd+kvh*hd : t*kvd+(kvh+1)*hd]
			for d := range o {
				o[d] += a * vt[d]
			}
		}
		return scores
	}
	threads := runtime.GOMAXPROCS(0)
	total := 0
	for _, ps := range pos {
		total += (ps + 1) * hd * p.Heads
	}
	if threads < 2 || tasks < 2 || total < minParallelWork {
		var scores []float32
		for t := 0; t < tasks; t++ {
			scores = work(t, scores)
		}
		return
	}
	var mu sync.Mutex
	nextTask := 0
	var wg sync.WaitGroup
	for w := 0; w < min(threads, tasks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scores []float32
			for {
				mu.Lock()
				t := nextTask
				nextTask++
				mu.Unlock()
				if t >= tasks {
					return
				}
				scores = work(t, scores)
			}
		}()
	}
	wg.Wait()
}
