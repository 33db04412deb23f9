package model

import (
	"fmt"

	"github.com/bizra/bizra/gpu/gguf"
)

// Weight is a row-major matrix of Rows rows of Cols elements, stored in a
// ggml tensor type (the bytes usually point into a memory-mapped file).
type Weight struct {
	Name string
	Type gguf.TensorType
	Rows int
	Cols int
	Data []byte
}

// RowBytes is the encoded size of one row.
func (w *Weight) RowBytes() int { return w.Type.RowBytes(w.Cols) }

// Row returns the encoded bytes of row r.
func (w *Weight) Row(r int) []byte {
	rb := w.RowBytes()
	return w.Data[r*rb : (r+1)*rb]
}

// Bytes is the matrix's size in bytes.
func (w *Weight) Bytes() int { return len(w.Data) }

func weightFrom(t *gguf.Tensor, rows, cols int) (*Weight, error) {
	if len(t.Dims) > 2 || t.RowLen() != cols || t.NumRows() != rows {
		return nil, fmt.Errorf("%w: %s has dims %v, want [%d %d]", ErrBadModel, t.Name, t.Dims, cols, rows)
	}
	return &Weight{Name: t.Name, Type: t.Type, Rows: rows, Cols: cols, Data: t.Data}, nil
}

func vectorFrom(t *gguf.Tensor, n int) ([]float32, error) {
	if t.NumElements() != n {
		return nil, fmt.Errorf("%w: %s has %d elements, want %d", ErrBadModel, t.Name, t.NumElements(), n)
	}
	return t.Float32s()
}
