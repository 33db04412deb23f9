package gguf

import (
	"fmt"
	"os"
	"sort"
)

// Info summarises a GGUF model file. It marshals to JSON for
// `bizra model inspect --json`.
type Info struct {
	Path              string         `json:"path"`
	FileBytes         int64          `json:"file_bytes"`
	Version           uint32         `json:"version"`
	Alignment         int            `json:"alignment"`
	Architecture      string         `json:"architecture"`
	Name              string         `json:"name,omitempty"`
	ContextLength     int64          `json:"context_length,omitempty"`
	EmbeddingLength   int64          `json:"embedding_length,omitempty"`
	BlockCount        int64          `json:"block_count,omitempty"`
	FeedForwardLength int64          `json:"feed_forward_length,omitempty"`
	HeadCount         int64          `json:"head_count,omitempty"`
	HeadCountKV       int64          `json:"head_count_kv,omitempty"`
	RopeFreqBase      float64        `json:"rope_freq_base,omitempty"`
	TokenizerModel    string         `json:"tokenizer_model,omitempty"`
	VocabSize         int            `json:"vocab_size"`
	MetadataCount     int            `json:"metadata_count"`
	TensorCount       int            `json:"tensor_count"`
	ParameterCount    int64          `json:"parameter_count"`
	TensorBytes       int64          `json:"tensor_bytes"`
	TensorTypes       map[string]int `json:"tensor_types"`
	Tensors           []TensorInfo   `json:"tensors"`
}

// TensorInfo is one tensor's summary within Info.
type TensorInfo struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Dims  []uint64 `json:"dims"`
	Bytes int      `json:"bytes"`
}

// Inspect opens path and summarises it.
func Inspect(path string) (*Info, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info := f.Info()
	info.Path = path
	if st, err := os.Stat(path); err == nil {
		info.FileBytes = st.Size()
	}
	return info, nil
}

// Info summarises an already parsed file.
func (f *File) Info() *Info {
	info := &Info{Version: f.Version, Alignment: f.Alignment, MetadataCount: len(f.KVs), TensorCount: len(f.Tensors), TensorTypes: map[string]int{}}
	info.Architecture, _ = f.String("general.architecture")
	info.Name, _ = f.String("general.name")
	a := info.Architecture
	info.ContextLength, _ = f.Int(a + ".context_length")
	info.EmbeddingLength, _ = f.Int(a + ".embedding_length")
	info.BlockCount, _ = f.Int(a + ".block_count")
	info.FeedForwardLength, _ = f.Int(a + ".feed_forward_length")
	info.HeadCount, _ = f.Int(a + ".attention.head_count")
	info.HeadCountKV, _ = f.Int(a + ".attention.head_count_kv")
	info.RopeFreqBase, _ = f.Float(a + ".rope.freq_base")
	info.TokenizerModel, _ = f.String("tokenizer.ggml.model")
	if toks, err := f.Array("tokenizer.ggml.tokens"); err == nil {
		info.VocabSize = toks.Len()
	}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		info.ParameterCount += int64(t.NumElements())
		info.TensorBytes += int64(t.Size())
		info.TensorTypes[t.Type.String()]++
		info.Tensors = append(info.Tensors, TensorInfo{Name: t.Name, Type: t.Type.String(), Dims: t.Dims, Bytes: t.Size()})
	}
	return info
}

// Summary renders the info as human-readable lines.
func (i *Info) Summary() string {
	types := make([]string, 0, len(i.TensorTypes))
	for k := range i.TensorTypes {
		types = append(types, k)
	}
	sort.Strings(types)
	s := fmt.Sprintf("file:          %s (%d bytes, GGUF v%d)\n", i.Path, i.FileBytes, i.Version)
	s += fmt.Sprintf("architecture:  %s\n", i.Architecture)
	if i.Name != "" {
		s += fmt.Sprintf("name:          %s\n", i.Name)
	}
	s += fmt.Sprintf("dims:          embd=%d layers=%d ffn=%d heads=%d kv_heads=%d ctx=%d\n",
		i.EmbeddingLength, i.BlockCount, i.FeedForwardLength, i.HeadCount, i.HeadCountKV, i.ContextLength)
	s += fmt.Sprintf("tokenizer:     %s, vocab %d\n", i.TokenizerModel, i.VocabSize)
	s += fmt.Sprintf("tensors:       %d, %d parameters, %d bytes\n", i.TensorCount, i.ParameterCount, i.TensorBytes)
	for _, k := range types {
		s += fmt.Sprintf("  %-6s %d\n", k, i.TensorTypes[k])
	}
	return s
}
