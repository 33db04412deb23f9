package tokenizer

import (
	"container/heap"
	"strings"
	"unicode/utf8"
)

// spaceMarker is SentencePiece's visible space, U+2581.
const spaceMarker = "\u2581"

type spmSym struct {
	text       string
	prev, next int
}

type spmBigram struct {
	left, right int
	score       float32
	size        int
}

type bigramHeap []spmBigram

func (h bigramHeap) Len() int { return len(h) }
func (h bigramHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score > h[j].score
	}
	return h[i].left < h[j].left
}
func (h bigramHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *bigramHeap) Push(x any)   { *h = append(*h, x.(spmBigram)) }
func (h *bigramHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (t *Tokenizer) score(id int) float32 {
	if id < len(t.v.Scores) {
		return t.v.Scores[id]
	}
	return 0
}

// encodeSPM tokenizes already-escaped text (spaces replaced by U+2581).
func (t *Tokenizer) encodeSPM(text string, out []int) []int {
	if text == "" {
		return out
	}
	var syms []spmSym
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		syms = append(syms, spmSym{text: text[i : i+n], prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	syms[len(syms)-1].next = -1
	h := &bigramHeap{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := syms[l].text + syms[r].text
		if id, ok := t.index[s]; ok {
			heap.Push(h, spmBigram{left: l, right: r, score: t.score(id), size: len(s)})
		}
	}
	for i := 1; i < len(syms); i++ {
		try(i-1, i)
	}
	for h.Len() > 0 {
		b := heap.Pop(h).(spmBigram)
		l, r := &syms[b.left], &syms[b.right]
		if l.text == "" || r.text == "" || len(l.text)+len(r.text) != b.size || l.next != b.right {
			continue // stale
		}
		l.text += r.text
		r.text = ""
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		try(l.prev, b.left)
		try(b.left, l.next)
	}
	for i := 0; i >= 0 && i < len(syms); i = syms[i].next {
		s := syms[i].text
		if id, ok := t.index[s]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(s); j++ { // byte fallback
			if id := t.byteIDs[s[j]]; id >= 0 {
				out = append(out, id)
			} else if t.v.UNK >= 0 {
				out = append(out, int(t.v.UNK))
			}
		}
	}
	return out
}

func escapeSPM(s string) string { return strings.ReplaceAll(s, " ", spaceMarker) }

// byteToken parses "<0xNN>".
func byteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range s[3:5] {
		b <<= 4
		switch {
		case c >= '0' && c <= '9':
			b |= byte(c - '0')
		case c >= 'A' && c <= 'F':
			b |= byte(c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			b |= byte(c - 'a' + 10)
		default:
			return 0, false
		}
	}
	return b, true
}
