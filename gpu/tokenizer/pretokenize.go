package tokenizer

import "unicode"

// SplitQwen2 splits text the way the qwen2 pre-tokenizer regular expression
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// does, trying the alternatives in order at each position. The pieces
// concatenate back to text.
func SplitQwen2(text string) []string {
	r := []rune(text)
	var out []string
	// byte offsets of each rune, to slice the original string
	offs := make([]int, len(r)+1)
	o := 0
	for i, c := range r {
		offs[i] = o
		o += len(string(c))
	}
	offs[len(r)] = o
	for i := 0; i < len(r); {
		n := matchQwen2(r, i)
		out = append(out, text[offs[i]:offs[i+n]])
		i += n
	}
	return out
}

func isL(c rune) bool  { return unicode.IsLetter(c) }
func isN(c rune) bool  { return unicode.IsNumber(c) }
func isS(c rune) bool  { return unicode.IsSpace(c) }
func isNL(c rune) bool { return c == '\r' || c == '\n' }

// matchQwen2 returns the length in runes of the match at r[i:] (at least 1).
func matchQwen2(r []rune, i int) int {
	n := len(r)
	at := func(k int) rune {
		if k < n {
			return r[k]
		}
		return -1
	}
	lower := func(c rune) rune { return unicode.ToLower(c) }
	// 1. contractions
	if r[i] == '\'' {
		c1, c2 := lower(at(i+1)), lower(at(i+2))
		switch {
		case c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd':
			return 2
		case (c1 == 'r' || c1 == 'v') && c2 == 'e':
			return 3
		case c1 == 'l' && c2 == 'l':
			return 3
		}
	}
	// 2. [^\r\n\p{L}\p{N}]?\p{L}+
	j := i
	if !isNL(r[j]) && !isL(r[j]) && !isN(r[j]) && isL(at(j+1)) {
		j++
	}
	if isL(at(j)) {
		for j < n && isL(r[j]) {
			j++
		}
		return j - i
	}
	// 3. \p{N}
	if isN(r[i]) {
		return 1
	}
	// 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
	j = i
	if r[j] == ' ' {
		j++
	}
	k := j
	for k < n && !isS(r[k]) && !isL(r[k]) && !isN(r[k]) {
		k++
	}
	if k > j {
		for k < n && isNL(r[k]) {
			k++
		}
		return k - i
	}
	// whitespace run r[i:ws]
	ws := i
	for ws < n && isS(r[ws]) {
		ws++
	}
	if ws > i {
		// 5. \s*[\r\n]+ : longest prefix of the run ending in a newline
		for p := ws - 1; p >= i; p-- {
			if isNL(r[p]) {
				return p + 1 - i
			}
		}
		// 6. \s+(?!\S)
		if ws == n {
			return ws - i
		}
		if ws-1 > i {
			return ws - 1 - i
		}
		// 7. \s+
		return ws - i
	}
	return 1
}
