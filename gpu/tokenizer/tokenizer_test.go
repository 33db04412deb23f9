package tokenizer

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/bizra/bizra/gpu/gguf"
)

func TestSplitQwen2(t *testing.T) {
	cases := map[string][]string{
		"Hello world":           {"Hello", " world"},
		"I'm 42 years!!\n\n ok": {"I", "'m", " ", "4", "2", " years", "!!\n\n", " ok"},
		"a  b":                  {"a", " ", " b"},
		"x\n\n  y":              {"x", "\n\n", " ", " y"},
		"end  ":                 {"end", "  "},
		"WE'LL go":              {"WE", "'LL", " go"},
		"(foo) bar.":            {"(foo", ")", " bar", "."},
		"naïve 中文":              {"naïve", " 中文"},
		" \t\nz":                {" \t\n", "z"},
		"$x":                    {"$x"},
		"hi ... there":          {"hi", " ...", " there"},
	}
	for in, want := range cases {
		if got := SplitQwen2(in); !slices.Equal(got, want) {
			t.Errorf("SplitQwen2(%q) = %q want %q", in, got, want)
		}
	}
}

func mustNew(t *testing.T, v *Vocab) *Tokenizer {
	t.Helper()
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestKnownMerges(t *testing.T) {
	v := &Vocab{Model: ModelBPE, BOS: -1, EOS: -1, UNK: -1, PAD: -1,
		Tokens: []string{"a", "b", "c", "ab", "abc", "bc"},
		Merges: []string{"a b", "ab c", "b c"}}
	tok := mustNew(t, v)
	cases := map[string][]int{"abc": {4}, "abab": {3, 3}, "bc": {5}, "cab": {2, 3}, "abcbc": {4, 5}}
	for in, want := range cases {
		if got := tok.Encode(in, EncodeOptions{}); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v want %v", in, got, want)
		}
	}
	// Rank order matters: with "b c" ranked first, "abc" becomes a + bc.
	v.Merges = []string{"b c", "a b", "ab c"}
	tok = mustNew(t, v)
	if got := tok.Encode("abc", EncodeOptions{}); !slices.Equal(got, []int{0, 5}) {
		t.Errorf("rank order: %v", got)
	}
}

var roundTripTexts = []string{
	"Hello world",
	"  leading spaces and trailing  ",
	"tabs\tand\nnewlines\r\n\n",
	"Ünïcödé — 日本語 🙂 Ω≈ç√",
	"numbers 1234567890 and symbols !@#$%^&*()_+{}|:\"<>?",
	"<|im_start|> looks special but is plain here",
	SampleText,
}

func TestRoundTripBPE(t *testing.T) {
	tok := mustNew(t, TrainBPE(SampleText, 300, 0))
	if tok.VocabSize() < 300 {
		t.Fatalf("vocab %d", tok.VocabSize())
	}
	for _, s := range roundTripTexts {
		ids := tok.Encode(s, EncodeOptions{})
		if got := tok.Decode(ids); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	// Learned merges compress the training text well below one token per byte.
	if n := len(tok.Encode(SampleText, EncodeOptions{})); n*2 > len(SampleText) {
		t.Errorf("%d tokens for %d bytes", n, len(SampleText))
	}
	// " the" is frequent in the corpus and must be a single token.
	if ids := tok.Encode(" the", EncodeOptions{}); len(ids) != 1 {
		t.Errorf("\" the\" -> %v", ids)
	}
}

func TestRoundTripSPM(t *testing.T) {
	tok := mustNew(t, TrainSPM(SampleText, 300, 0))
	for _, s := range roundTripTexts {
		ids := tok.Encode(s, EncodeOptions{AddBOS: true})
		if ids[0] != tok.BOS() {
			t.Fatalf("no BOS: %v", ids[:1])
		}
		if got := tok.Decode(ids); got != s {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	if ids := tok.Encode("the", EncodeOptions{}); len(ids) != 1 || tok.TokenText(ids[0]) != "\u2581the" {
		t.Errorf("\"the\" -> %v", ids)
	}
	// Ω is not in the corpus: it must fall back to its two UTF-8 bytes.
	ids := tok.Encode("Ω", EncodeOptions{})
	var texts []string
	for _, id := range ids {
		texts = append(texts, tok.TokenText(id))
	}
	if !slices.Equal(texts, []string{"\u2581", "<0xCE>", "<0xA9>"}) {
		t.Errorf("byte fallback: %q", texts)
	}
}

func TestSpecialTokens(t *testing.T) {
	tok := mustNew(t, TrainBPE(SampleText, 100, 0))
	start, _ := tok.TokenID("<|im_start|>")
	end, _ := tok.TokenID("<|im_end|>")
	s := "<|im_start|>user\nhi<|im_end|>"
	ids := tok.Encode(s, EncodeOptions{ParseSpecial: true})
	if ids[0] != start || ids[len(ids)-1] != end {
		t.Fatalf("specials not matched: %v", ids)
	}
	if !tok.IsEOG(end) {
		t.Error("im_end should end generation")
	}
	plain := tok.Encode(s, EncodeOptions{})
	if slices.Contains(plain, start) || tok.Decode(plain) != s {
		t.Fatalf("plain encoding used special id: %v", plain)
	}
	if got := tok.DecodeWith(ids, DecodeOptions{Special: true}); got != s {
		t.Errorf("special decode %q", got)
	}
	if got := tok.Decode(ids); got != "user\nhi" {
		t.Errorf("decode dropping control %q", got)
	}
}

func TestChatTemplates(t *testing.T) {
	msgs := []Message{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}}
	bpe := mustNew(t, TrainBPE(SampleText, 50, 0))
	got, err := bpe.ApplyChat(msgs, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"
	if got != want {
		t.Errorf("chatml:\n%q\nwant\n%q", got, want)
	}
	spm := mustNew(t, TrainSPM(SampleText, 50, 0))
	got, err = spm.ApplyChat(msgs, true)
	if err != nil {
		t.Fatal(err)
	}
	want = "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]"
	if got != want {
		t.Errorf("llama2:\n%q\nwant\n%q", got, want)
	}
	ids := spm.Encode(got, EncodeOptions{ParseSpecial: true})
	if ids[0] != spm.BOS() || slices.Index(ids, spm.EOS()) < 0 {
		t.Errorf("llama2 specials not parsed: %v", ids[:3])
	}
}

func TestVocabGGUFRoundTrip(t *testing.T) {
	for _, v := range []*Vocab{TrainBPE(SampleText, 80, 400), TrainSPM(SampleText, 80, 0)} {
		w := gguf.NewWriter()
		v.WriteGGUF(w)
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadVocab(f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%s vocab changed in GGUF round trip", v.Model)
		}
		if v.Model == ModelBPE && len(got.Tokens) != 400 {
			t.Errorf("padding: %d tokens", len(got.Tokens))
		}
	}
}

func TestSPMLiteralSpaceMarker(t *testing.T) {
	tok := mustNew(t, TrainSPM(SampleText, 50, 0))
	if got := tok.Decode(tok.Encode("a\u2581b", EncodeOptions{})); got != "a b" {
		t.Errorf("U+2581 decoded as %q", got)
	}
}
