// Package tokenizer turns text into model token ids and back, using the
// vocabulary stored in a GGUF file's tokenizer.ggml.* metadata.
//
// Two families are supported:
//
//   - byte-level BPE (tokenizer.ggml.model = "gpt2"), as used by Qwen2: text
//     is split by the qwen2 pre-tokenizer (a hand-written equivalent of its
//     regular expression), each piece's bytes are mapped to GPT-2's printable
//     byte alphabet, and merges are applied in rank order;
//   - SentencePiece-style (tokenizer.ggml.model = "llama"): spaces become
//     U+2581, adjacent pieces are merged highest score first, and characters
//     missing from the vocabulary fall back to <0xNN> byte tokens.
//
// Special (control and user-defined) tokens are matched literally when
// EncodeOptions.ParseSpecial is set. ApplyChat renders a conversation with
// the architecture's chat template (ChatML for qwen2, the Llama-2 [INST]
// format for llama).
//
//	tok, err := tokenizer.FromGGUF(f)
//	ids := tok.Encode("Hello world", tokenizer.EncodeOptions{AddBOS: tok.AddBOS})
//	text := tok.Decode(ids)
//
// TrainBPE and TrainSPM build small real vocabularies from sample text; the
// model package uses them to generate test models.
package tokenizer
