package tokenizer

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

var fuzzToks = sync.OnceValues(func() (*Tokenizer, *Tokenizer) {
	b, _ := New(TrainBPE(SampleText, 200, 0))
	s, _ := New(TrainSPM(SampleText, 200, 0))
	return b, s
})

// FuzzRoundTrip checks that both tokenizers reproduce any valid UTF-8 text
// (special-token parsing off) and that the pre-tokenizer's pieces
// concatenate back to the input.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range roundTripTexts {
		f.Add(s)
	}
	f.Add("\r\n\t  x'S'll 99")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		joined := ""
		for _, p := range SplitQwen2(s) {
			if p == "" {
				t.Fatalf("empty piece for %q", s)
			}
			joined += p
		}
		if joined != s {
			t.Fatalf("pieces of %q join to %q", s, joined)
		}
		bpe, spm := fuzzToks()
		if got := bpe.Decode(bpe.Encode(s, EncodeOptions{})); got != s {
			t.Fatalf("bpe: %q -> %q", s, got)
		}
		// SentencePiece writes spaces as U+2581, so a literal U+2581 in the
		// input comes back as a space; that is the format, not a bug.
		if strings.Contains(s, spaceMarker) {
			return
		}
		if got := spm.Decode(spm.Encode(s, EncodeOptions{})); got != s {
			t.Fatalf("spm: %q -> %q", s, got)
		}
	})
}
