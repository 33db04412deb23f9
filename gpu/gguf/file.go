package gguf

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// File is a parsed GGUF file. Tensor data slices point into the underlying
// bytes (a memory map when opened with Open) and are valid until Close.
type File struct {
	Version    uint32
	Alignment  int
	KVs        []KV
	Tensors    []Tensor
	DataOffset int64 // absolute offset of the data section

	kvIndex map[string]int
	tIndex  map[string]int

	closeOnce sync.Once
	unmap     func() error
}

// Tensor describes one tensor. Dims[0] is the fastest-varying (row length)
// dimension, as in ggml.
type Tensor struct {
	Name   string
	Type   TensorType
	Dims   []uint64
	Offset uint64 // relative to the data section
	Data   []byte // the tensor's bytes; nil until parsed
}

// Open memory-maps and parses the file at path. Call Close to unmap.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: open: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: stat: %w", err)
	}
	size := st.Size()
	if size < 24 {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrTruncated, path, size)
	}
	if size > 1<<46 || int64(int(size)) != size {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, path, size)
	}
	b, err := syscall.Mmap(int(fh.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("gguf: mmap %s: %w", path, err)
	}
	f, err := Parse(b)
	if err != nil {
		_ = syscall.Munmap(b)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.unmap = func() error { return syscall.Munmap(b) }
	return f, nil
}

// Close releases the memory map. It is safe to call more than once; tensor
// data must not be used afterwards.
func (f *File) Close() error {
	var err error
	f.closeOnce.Do(func() {
		if f.unmap != nil {
			err = f.unmap()
		}
		for i := range f.Tensors {
			f.Tensors[i].Data = nil
		}
	})
	return err
}

// Lookup returns the metadata value for key.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KVs[i].Value, true
}

// String returns a string metadata value.
func (f *File) String(key string) (string, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return "", fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	s, ok := v.V.(string)
	if !ok {
		return "", fmt.Errorf("%w: %q is %s, want string", ErrWrongType, key, v.Type)
	}
	return s, nil
}

// Int returns an integer metadata value of any integer width.
func (f *File) Int(key string) (int64, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return 0, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	i, ok := v.Int()
	if !ok {
		return 0, fmt.Errorf("%w: %q is %s, want integer", ErrWrongType, key, v.Type)
	}
	return i, nil
}

// Float returns a numeric metadata value as float64.
func (f *File) Float(key string) (float64, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return 0, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	x, ok := v.Float()
	if !ok {
		return 0, fmt.Errorf("%w: %q is %s, want number", ErrWrongType, key, v.Type)
	}
	return x, nil
}

// Bool returns a bool metadata value.
func (f *File) Bool(key string) (bool, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return false, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	b, ok := v.V.(bool)
	if !ok {
		return false, fmt.Errorf("%w: %q is %s, want bool", ErrWrongType, key, v.Type)
	}
	return b, nil
}

// Array returns an array metadata value.
func (f *File) Array(key string) (Array, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return Array{}, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	a, ok := v.V.(Array)
	if !ok {
		return Array{}, fmt.Errorf("%w: %q is %s, want array", ErrWrongType, key, v.Type)
	}
	return a, nil
}

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*Tensor, error) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q", ErrNotFound, name)
	}
	return &f.Tensors[i], nil
}

// NumElements returns the product of the dimensions.
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Dims {
		n *= int(d)
	}
	return n
}

// RowLen is Dims[0], the number of elements per row.
func (t *Tensor) RowLen() int { return int(t.Dims[0]) }

// NumRows is the number of rows (product of Dims[1:]).
func (t *Tensor) NumRows() int { return t.NumElements() / t.RowLen() }

// Size returns the tensor's size in bytes.
func (t *Tensor) Size() int { return t.NumRows() * t.Type.RowBytes(t.RowLen()) }

// Row returns the raw bytes of row r.
func (t *Tensor) Row(r int) []byte {
	rb := t.Type.RowBytes(t.RowLen())
	return t.Data[r*rb : (r+1)*rb]
}

// DequantizeRow decodes row r into dst, which must have RowLen elements.
func (t *Tensor) DequantizeRow(r int, dst []float32) error {
	if t.Data == nil {
		return ErrClosed
	}
	if r < 0 || r >= t.NumRows() || len(dst) != t.RowLen() {
		return fmt.Errorf("%w: row %d / len %d for tensor %q with %d rows of %d", ErrBadTensor, r, len(dst), t.Name, t.NumRows(), t.RowLen())
	}
	return Dequantize(t.Type, t.Row(r), dst)
}

// Float32s decodes the whole tensor.
func (t *Tensor) Float32s() ([]float32, error) {
	if t.Data == nil {
		return nil, ErrClosed
	}
	out := make([]float32, t.NumElements())
	return out, Dequantize(t.Type, t.Data, out)
}
