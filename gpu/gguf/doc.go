// Package gguf reads and writes GGUF version 3 files, the container format
// used by ggml and llama.cpp for model weights and their metadata.
//
// A GGUF file holds a header, a list of typed metadata key/value pairs, a
// list of tensor descriptors, and an aligned data section holding the tensor
// bytes. This package supports every metadata value type (including nested
// arrays) and the tensor types F32, F16, BF16, Q8_0 and Q4_0 with ggml's
// block layouts:
//
//	Q8_0: blocks of 32 values: float16 scale d, then 32 int8 quants; x = d*q.
//	Q4_0: blocks of 32 values: float16 scale d, then 16 bytes; byte j holds
//	      value j in its low nibble and value j+16 in its high nibble;
//	      x = d*(nibble-8).
//
// Reading:
//
//	f, err := gguf.Open("model.gguf") // memory-maps the file
//	defer f.Close()
//	arch, _ := f.String("general.architecture")
//	t, _ := f.Tensor("token_embd.weight")
//	row := make([]float32, t.Dims[0])
//	_ = t.DequantizeRow(0, row)
//
// Parse does the same on a byte slice. Malformed input yields an error
// wrapping one of the sentinel errors in errors.go, never a panic; counts and
// sizes are checked against the bytes actually present before anything is
// allocated.
//
// Writing:
//
//	w := gguf.NewWriter()
//	w.SetString("general.architecture", "llama")
//	w.AddTensor("x", gguf.TypeF32, []uint64{4, 2}, data)
//	err := w.WriteFile("out.gguf")
//
// Inspect summarises a model file (architecture, dimensions, tensor types,
// vocabulary size) as a JSON-marshalable struct.
package gguf
