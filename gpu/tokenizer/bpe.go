package tokenizer

import "strings"

// bpeWord applies rank-ordered merges to one byte-level word and returns
// the resulting symbols.
func (t *Tokenizer) bpeWord(word string) []string {
	syms := make([]string, 0, len(word))
	for _, r := range word {
		syms = append(syms, string(r))
	}
	for len(syms) > 1 {
		best, bestRank := -1, int(^uint(0)>>1)
		for i := 0; i+1 < len(syms); i++ {
			if rank, ok := t.mergeRank[syms[i]+" "+syms[i+1]]; ok && rank < bestRank {
				best, bestRank = i, rank
			}
		}
		if best < 0 {
			break
		}
		// merge every occurrence of the pair, left to right
		a, b := syms[best], syms[best+1]
		out := syms[:0:0]
		for i := 0; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				out = append(out, a+b)
				i++
			} else {
				out = append(out, syms[i])
			}
		}
		syms = out
	}
	return syms
}

func (t *Tokenizer) encodeBPE(text string, out []int) []int {
	for _, piece := range SplitQwen2(text) {
		for _, s := range t.bpeWord(ByteLevel(piece)) {
			if id, ok := t.index[s]; ok {
				out = append(out, id)
				continue
			}
			// Should not happen with a complete byte alphabet: fall back to
			// single byte-level characters, then UNK.
			for _, r := range s {
				if id, ok := t.index[string(r)]; ok {
					out = append(out, id)
				} else if t.v.UNK >= 0 {
					out = append(out, int(t.v.UNK))
				}
			}
		}
	}
	return out
}

func splitMerge(m string) (string, string, bool) {
	i := strings.IndexByte(m, ' ')
	if i <= 0 || i == len(m)-1 {
		return "", "", false
	}
	return m[:i], m[i+1:], true
}
