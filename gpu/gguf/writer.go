package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
)

// Writer builds a GGUF v3 file in memory-light fashion: metadata and tensor
// descriptors are kept, tensor bytes are referenced until written.
type Writer struct {
	kvs       []KV
	kvIndex   map[string]int
	tensors   []Tensor
	tIndex    map[string]int
	alignment int
	err       error
}

// NewWriter returns an empty writer with the default alignment.
func NewWriter() *Writer {
	return &Writer{kvIndex: map[string]int{}, tIndex: map[string]int{}, alignment: DefaultAlignment}
}

// Set adds or replaces a metadata entry. v is converted with NewValue unless
// it is already a Value. Setting general.alignment changes the alignment used
// for tensor data; it must be a power of two.
func (w *Writer) Set(key string, v any) {
	val, ok := v.(Value)
	if !ok {
		val = NewValue(v)
	}
	if key == "general.alignment" {
		a, ok := val.Int()
		if !ok || a <= 0 || a > 1<<20 || bits.OnesCount64(uint64(a)) != 1 {
			w.setErr(fmt.Errorf("%w: %v", ErrBadAlignment, val.V))
			return
		}
		w.alignment = int(a)
	}
	if i, ok := w.kvIndex[key]; ok {
		w.kvs[i].Value = val
		return
	}
	w.kvIndex[key] = len(w.kvs)
	w.kvs = append(w.kvs, KV{Key: key, Value: val})
}

// SetString is Set for a string value.
func (w *Writer) SetString(key, v string) { w.Set(key, v) }

func (w *Writer) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// AddTensor appends a tensor. data must hold exactly the encoded bytes for
// dims (Dims[0] first) in type t; it is not copied.
func (w *Writer) AddTensor(name string, t TensorType, dims []uint64, data []byte) {
	if !t.Supported() {
		w.setErr(fmt.Errorf("%w: %q type %d", ErrBadTensorType, name, uint32(t)))
		return
	}
	if _, dup := w.tIndex[name]; dup {
		w.setErr(fmt.Errorf("%w: tensor %q", ErrDuplicate, name))
		return
	}
	tt := Tensor{Name: name, Type: t, Dims: append([]uint64(nil), dims...), Data: data}
	if len(dims) == 0 || len(dims) > MaxDims || dims[0]%uint64(t.BlockSize()) != 0 {
		w.setErr(fmt.Errorf("%w: %q dims %v for %s", ErrBadTensor, name, dims, t))
		return
	}
	for _, d := range dims {
		if d == 0 {
			w.setErr(fmt.Errorf("%w: %q has a zero dimension", ErrBadTensor, name))
			return
		}
	}
	if tt.Size() != len(data) {
		w.setErr(fmt.Errorf("%w: %q needs %d bytes, got %d", ErrBadTensor, name, tt.Size(), len(data)))
		return
	}
	w.tIndex[name] = len(w.tensors)
	w.tensors = append(w.tensors, tt)
}

// AddFloat32 quantises values into type t and appends the tensor.
func (w *Writer) AddFloat32(name string, t TensorType, dims []uint64, values []float32) {
	b, err := Quantize(t, values)
	if err != nil {
		w.setErr(fmt.Errorf("tensor %q: %w", name, err))
		return
	}
	w.AddTensor(name, t, dims, b)
}

// WriteFile writes the file to path.
func (w *Writer) WriteFile(path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("gguf: create: %w", err)
	}
	if _, err := w.WriteTo(fh); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("gguf: close: %w", err)
	}
	return nil
}

// WriteTo writes the file to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	bw := &countWriter{w: bufio.NewWriterSize(out, 1<<20)}
	le := binary.LittleEndian
	var buf [8]byte
	u32 := func(v uint32) { le.PutUint32(buf[:], v); bw.Write(buf[:4]) }
	u64 := func(v uint64) { le.PutUint64(buf[:], v); bw.Write(buf[:8]) }
	str := func(s string) { u64(uint64(len(s))); io.WriteString(bw, s) }
	u32(Magic)
	u32(3)
	u64(uint64(len(w.tensors)))
	u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		str(kv.Key)
		u32(uint32(kv.Value.Type))
		if err := writeValue(bw, kv.Value.Type, kv.Value.V); err != nil {
			return bw.n, fmt.Errorf("metadata %q: %w", kv.Key, err)
		}
	}
	a := uint64(w.alignment)
	offsets := make([]uint64, len(w.tensors))
	var off uint64
	for i, t := range w.tensors {
		offsets[i] = off
		off = alignUp(off+uint64(len(t.Data)), a)
	}
	for i, t := range w.tensors {
		str(t.Name)
		u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			u64(d)
		}
		u32(uint32(t.Type))
		u64(offsets[i])
	}
	pad := func() {
		var zero [64]byte
		for n := alignUp(uint64(bw.n), a) - uint64(bw.n); n > 0; {
			k := min(n, 64)
			bw.Write(zero[:k])
			n -= k
		}
	}
	if len(w.tensors) > 0 {
		pad()
	}
	for _, t := range w.tensors {
		bw.Write(t.Data)
		pad()
	}
	if bw.err != nil {
		return bw.n, fmt.Errorf("gguf: write: %w", bw.err)
	}
	if err := bw.w.(*bufio.Writer).Flush(); err != nil {
		return bw.n, fmt.Errorf("gguf: write: %w", err)
	}
	return bw.n, nil
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

func writeValue(w io.Writer, t ValueType, v any) error {
	le := binary.LittleEndian
	var buf [8]byte
	put := func(n int) error { _, err := w.Write(buf[:n]); return err }
	switch t {
	case ValUint8:
		x, ok := v.(uint8)
		buf[0] = x
		return okPut(ok, t, v, func() error { return put(1) })
	case ValInt8:
		x, ok := v.(int8)
		buf[0] = byte(x)
		return okPut(ok, t, v, func() error { return put(1) })
	case ValBool:
		x, ok := v.(bool)
		buf[0] = 0
		if x {
			buf[0] = 1
		}
		return okPut(ok, t, v, func() error { return put(1) })
	case ValUint16:
		x, ok := v.(uint16)
		le.PutUint16(buf[:], x)
		return okPut(ok, t, v, func() error { return put(2) })
	case ValInt16:
		x, ok := v.(int16)
		le.PutUint16(buf[:], uint16(x))
		return okPut(ok, t, v, func() error { return put(2) })
	case ValUint32:
		x, ok := v.(uint32)
		le.PutUint32(buf[:], x)
		return okPut(ok, t, v, func() error { return put(4) })
	case ValInt32:
		x, ok := v.(int32)
		le.PutUint32(buf[:], uint32(x))
		return okPut(ok, t, v, func() error { return put(4) })
	case ValFloat32:
		x, ok := v.(float32)
		le.PutUint32(buf[:], math.Float32bits(x))
		return okPut(ok, t, v, func() error { return put(4) })
	case ValUint64:
		x, ok := v.(uint64)
		le.PutUint64(buf[:], x)
		return okPut(ok, t, v, func() error { return put(8) })
	case ValInt64:
		x, ok := v.(int64)
		le.PutUint64(buf[:], uint64(x))
		return okPut(ok, t, v, func() error { return put(8) })
	case ValFloat64:
		x, ok := v.(float64)
		le.PutUint64(buf[:], math.Float64bits(x))
		return okPut(ok, t, v, func() error { return put(8) })
	case ValString:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%w: %T for %s", ErrWrongType, v, t)
		}
		le.PutUint64(buf[:], uint64(len(s)))
		if err := put(8); err != nil {
			return err
		}
		_, err := io.WriteString(w, s)
		return err
	case ValArray:
		a, ok := v.(Array)
		if !ok {
			return fmt.Errorf("%w: %T for %s", ErrWrongType, v, t)
		}
		le.PutUint32(buf[:], uint32(a.Type))
		if err := put(4); err != nil {
			return err
		}
		n := a.Len()
		le.PutUint64(buf[:], uint64(n))
		if err := put(8); err != nil {
			return err
		}
		return writeArrayElems(w, a)
	}
	return fmt.Errorf("%w: %d", ErrBadValueType, uint32(t))
}

func okPut(ok bool, t ValueType, v any, put func() error) error {
	if !ok {
		return fmt.Errorf("%w: %T for %s", ErrWrongType, v, t)
	}
	return put()
}

func writeArrayElems(w io.Writer, a Array) error {
	each := func(n int, f func(i int) any) error {
		for i := 0; i < n; i++ {
			if err := writeValue(w, a.Type, f(i)); err != nil {
				return err
			}
		}
		return nil
	}
	switch s := a.Values.(type) {
	case []uint8:
		if a.Type == ValUint8 {
			_, err := w.Write(s)
			return err
		}
		return each(len(s), func(i int) any { return s[i] })
	case []int8:
		return each(len(s), func(i int) any { return s[i] })
	case []uint16:
		return each(len(s), func(i int) any { return s[i] })
	case []int16:
		return each(len(s), func(i int) any { return s[i] })
	case []uint32:
		return each(len(s), func(i int) any { return s[i] })
	case []int32:
		return each(len(s), func(i int) any { return s[i] })
	case []float32:
		return each(len(s), func(i int) any { return s[i] })
	case []bool:
		return each(len(s), func(i int) any { return s[i] })
	case []string:
		return each(len(s), func(i int) any { return s[i] })
	case []Array:
		return each(len(s), func(i int) any { return s[i] })
	case []uint64:
		return each(len(s), func(i int) any { return s[i] })
	case []int64:
		return each(len(s), func(i int) any { return s[i] })
	case []float64:
		return each(len(s), func(i int) any { return s[i] })
	case nil:
		return nil
	}
	return fmt.Errorf("%w: array values %T", ErrWrongType, a.Values)
}
