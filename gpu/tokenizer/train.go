package tokenizer

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
)

// SampleText is a small embedded English (plus some Unicode) corpus used to
// learn test vocabularies.
//
//go:embed corpus.txt
var SampleText string

type pairKey struct{ a, b string }

// learnMerges runs BPE training over words (each a sequence of initial
// symbols with a frequency) and returns up to n merges in order. Ties in
// pair frequency break lexicographically, so the result is deterministic.
func learnMerges(words map[string]int, split func(string) []string, n int) []pairKey {
	type entry struct {
		syms []string
		freq int
	}
	keys := make([]string, 0, len(words))
	for w := range words {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	ws := make([]entry, len(keys))
	for i, w := range keys {
		ws[i] = entry{split(w), words[w]}
	}
	var merges []pairKey
	for len(merges) < n {
		counts := map[pairKey]int{}
		for _, e := range ws {
			for i := 0; i+1 < len(e.syms); i++ {
				counts[pairKey{e.syms[i], e.syms[i+1]}] += e.freq
			}
		}
		var best pairKey
		bestN := 1
		for p, c := range counts {
			if c > bestN || (c == bestN && bestN > 1 && (p.a+" "+p.b) < (best.a+" "+best.b)) {
				best, bestN = p, c
			}
		}
		if bestN < 2 {
			break
		}
		merges = append(merges, best)
		for wi := range ws {
			s := ws[wi].syms
			out := s[:0:0]
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == best.a && s[i+1] == best.b {
					out = append(out, best.a+best.b)
					i++
				} else {
					out = append(out, s[i])
				}
			}
			ws[wi].syms = out
		}
	}
	return merges
}

func runesOf(s string) []string {
	out := make([]string, 0, len(s))
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

// TrainBPE learns a byte-level BPE vocabulary (qwen2 pre-tokenizer) from
// text with at most nMerges merges, and appends Qwen2's special tokens
// <|endoftext|>, <|im_start|> and <|im_end|>. If padTo exceeds the size
// reached, unused [PADn] tokens fill the vocabulary to exactly padTo.
func TrainBPE(text string, nMerges, padTo int) *Vocab {
	words := map[string]int{}
	for _, p := range SplitQwen2(text) {
		words[ByteLevel(p)]++
	}
	merges := learnMerges(words, runesOf, nMerges)
	v := &Vocab{Model: ModelBPE, Pre: "qwen2", BOS: -1, EOS: -1, UNK: -1, PAD: -1, ChatTemplate: ChatMLTemplate}
	add := func(s string, typ int32) int32 {
		v.Tokens = append(v.Tokens, s)
		v.Types = append(v.Types, typ)
		return int32(len(v.Tokens) - 1)
	}
	// byte alphabet in GPT-2 order: printable bytes first
	for b := 0; b < 256; b++ {
		if byteToRune[b] < 256 {
			add(string(byteToRune[b]), TypeNormal)
		}
	}
	for b := 0; b < 256; b++ {
		if byteToRune[b] >= 256 {
			add(string(byteToRune[b]), TypeNormal)
		}
	}
	for _, m := range merges {
		v.Merges = append(v.Merges, m.a+" "+m.b)
		add(m.a+m.b, TypeNormal)
	}
	eot := add("<|endoftext|>", TypeControl)
	add("<|im_start|>", TypeControl)
	imEnd := add("<|im_end|>", TypeControl)
	for i := 0; len(v.Tokens) < padTo; i++ {
		add(fmt.Sprintf("[PAD%d]", i), TypeUnused)
	}
	v.BOS, v.EOS, v.PAD = eot, imEnd, eot
	return v
}

// TrainSPM learns a SentencePiece-style vocabulary from text: <unk>, <s>,
// </s>, the 256 byte-fallback tokens <0x00>..<0xFF>, every character seen,
// then up to nMerges merged pieces. Scores decrease with merge order, so
// the highest-score-first encoder reproduces the learned order. If padTo
// exceeds the size reached, unused tokens fill the vocabulary.
func TrainSPM(text string, nMerges, padTo int) *Vocab {
	words := map[string]int{}
	for _, w := range strings.Fields(text) {
		words[spaceMarker+w]++
	}
	merges := learnMerges(words, runesOf, nMerges)
	v := &Vocab{Model: ModelSPM, BOS: 1, EOS: 2, UNK: 0, PAD: -1, AddBOS: true, AddSpacePrefix: true, ChatTemplate: Llama2Template}
	seen := map[string]bool{}
	add := func(s string, typ int32, score float32) {
		if seen[s] {
			return
		}
		seen[s] = true
		v.Tokens = append(v.Tokens, s)
		v.Types = append(v.Types, typ)
		v.Scores = append(v.Scores, score)
	}
	add("<unk>", TypeUnknown, 0)
	add("<s>", TypeControl, 0)
	add("</s>", TypeControl, 0)
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), TypeByte, 0)
	}
	chars := map[string]bool{}
	for w := range words {
		for _, r := range w {
			chars[string(r)] = true
		}
	}
	charList := make([]string, 0, len(chars))
	for c := range chars {
		charList = append(charList, c)
	}
	sort.Strings(charList)
	add(spaceMarker, TypeNormal, -1e4)
	for _, c := range charList {
		add(c, TypeNormal, -1e4)
	}
	for i, m := range merges {
		add(m.a+m.b, TypeNormal, -float32(i))
	}
	for i := 0; len(v.Tokens) < padTo; i++ {
		add(fmt.Sprintf("<unused%d>", i), TypeUnused, -1e9)
	}
	return v
}
