package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// Magic is the little-endian file magic "GGUF".
const Magic = 0x46554747

// DefaultAlignment is the data alignment when general.alignment is absent.
const DefaultAlignment = 32

// MaxDims is the largest tensor rank ggml supports.
const MaxDims = 4

// maxArrayDepth bounds nesting of arrays inside arrays.
const maxArrayDepth = 4

// cursor reads little-endian values from a byte slice.
type cursor struct {
	b   []byte
	off int
}

func (c *cursor) remaining() int { return len(c.b) - c.off }

func (c *cursor) need(n int, what string) error {
	if n < 0 || c.remaining() < n {
		return fmt.Errorf("%w: %s at offset %d needs %d bytes, %d left", ErrTruncated, what, c.off, n, c.remaining())
	}
	return nil
}

func (c *cursor) u8(what string) (uint8, error) {
	if err := c.need(1, what); err != nil {
		return 0, err
	}
	v := c.b[c.off]
	c.off++
	return v, nil
}

func (c *cursor) u16(what string) (uint16, error) {
	if err := c.need(2, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint16(c.b[c.off:])
	c.off += 2
	return v, nil
}

func (c *cursor) u32(what string) (uint32, error) {
	if err := c.need(4, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(c.b[c.off:])
	c.off += 4
	return v, nil
}

func (c *cursor) u64(what string) (uint64, error) {
	if err := c.need(8, what); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint64(c.b[c.off:])
	c.off += 8
	return v, nil
}

func (c *cursor) str(what string) (string, error) {
	n, err := c.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(c.remaining()) {
		return "", fmt.Errorf("%w: %s length %d exceeds %d remaining bytes", ErrTruncated, what, n, c.remaining())
	}
	s := string(c.b[c.off : c.off+int(n)])
	c.off += int(n)
	return s, nil
}

// count reads an element count and checks that count elements of at least
// minSize bytes each can fit in what remains.
func (c *cursor) count(what string, minSize int) (int, error) {
	n, err := c.u64(what)
	if err != nil {
		return 0, err
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(c.remaining()/minSize) {
		return 0, fmt.Errorf("%w: %s %d cannot fit in %d remaining bytes", ErrTooLarge, what, n, c.remaining())
	}
	return int(n), nil
}

// minEncoded is the smallest encoding of one value of type t.
func minEncoded(t ValueType) int {
	switch t {
	case ValString:
		return 8
	case ValArray:
		return 12
	}
	return t.fixedSize()
}

func (c *cursor) value(t ValueType, depth int) (any, error) {
	switch t {
	case ValUint8:
		return c.u8("uint8")
	case ValInt8:
		v, err := c.u8("int8")
		return int8(v), err
	case ValUint16:
		return c.u16("uint16")
	case ValInt16:
		v, err := c.u16("int16")
		return int16(v), err
	case ValUint32:
		return c.u32("uint32")
	case ValInt32:
		v, err := c.u32("int32")
		return int32(v), err
	case ValFloat32:
		v, err := c.u32("float32")
		return math.Float32frombits(v), err
	case ValBool:
		v, err := c.u8("bool")
		if err == nil && v > 1 {
			return nil, fmt.Errorf("%w: bool byte %d", ErrBadValueType, v)
		}
		return v == 1, err
	case ValString:
		return c.str("string")
	case ValUint64:
		return c.u64("uint64")
	case ValInt64:
		v, err := c.u64("int64")
		return int64(v), err
	case ValFloat64:
		v, err := c.u64("float64")
		return math.Float64frombits(v), err
	case ValArray:
		return c.array(depth + 1)
	}
	return nil, fmt.Errorf("%w: %d", ErrBadValueType, uint32(t))
}

func (c *cursor) array(depth int) (Array, error) {
	if depth > maxArrayDepth {
		return Array{}, fmt.Errorf("%w: arrays nested deeper than %d", ErrTooLarge, maxArrayDepth)
	}
	et, err := c.u32("array element type")
	if err != nil {
		return Array{}, err
	}
	t := ValueType(et)
	if t.fixedSize() < 0 {
		return Array{}, fmt.Errorf("%w: array element type %d", ErrBadValueType, et)
	}
	n, err := c.count("array length", minEncoded(t))
	if err != nil {
		return Array{}, err
	}
	if sz := t.fixedSize(); sz > 0 {
		raw := c.b[c.off : c.off+n*sz]
		c.off += n * sz
		return Array{Type: t, Values: decodeFixed(t, raw, n)}, nil
	}
	if t == ValString {
		out := make([]string, n)
		for i := range out {
			if out[i], err = c.str("array string"); err != nil {
				return Array{}, err
			}
		}
		return Array{Type: t, Values: out}, nil
	}
	out := make([]Array, n)
	for i := range out {
		if out[i], err = c.array(depth); err != nil {
			return Array{}, err
		}
	}
	return Array{Type: t, Values: out}, nil
}

func decodeFixed(t ValueType, raw []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case ValUint8:
		return append([]uint8(nil), raw...)
	case ValInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(raw[i])
		}
		return out
	case ValBool:
		out := make([]bool, n)
		for i := range out {
			out[i] = raw[i] != 0
		}
		return out
	case ValUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(raw[2*i:])
		}
		return out
	case ValInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(raw[2*i:]))
		}
		return out
	case ValUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(raw[4*i:])
		}
		return out
	case ValInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(raw[4*i:]))
		}
		return out
	case ValFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return out
	case ValUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(raw[8*i:])
		}
		return out
	case ValInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(raw[8*i:]))
		}
		return out
	case ValFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return out
	}
	return nil
}

// Parse decodes a GGUF file held in b. The returned File references b for
// tensor data; b must stay unmodified while the File is in use.
func Parse(b []byte) (*File, error) {
	c := &cursor{b: b}
	magic, err := c.u32("magic")
	if err != nil {
		return nil, err
	}
	if magic != Magic {
		return nil, fmt.Errorf("%w: %#08x", ErrBadMagic, magic)
	}
	version, err := c.u32("version")
	if err != nil {
		return nil, err
	}
	if version != 2 && version != 3 {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedVersion, version)
	}
	// A tensor descriptor is at least 8 (name) + 4 (n_dims) + 8 (one dim)
	// + 4 (type) + 8 (offset) bytes; a KV at least 8 + 4 + 1.
	nTensorsRaw, err := c.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nKVRaw, err := c.u64("metadata count")
	if err != nil {
		return nil, err
	}
	if nKVRaw > uint64(c.remaining()/13) {
		return nil, fmt.Errorf("%w: metadata count %d", ErrTooLarge, nKVRaw)
	}
	if nTensorsRaw > uint64(c.remaining()/32) {
		return nil, fmt.Errorf("%w: tensor count %d", ErrTooLarge, nTensorsRaw)
	}
	f := &File{Version: version, Alignment: DefaultAlignment, kvIndex: map[string]int{}, tIndex: map[string]int{}}
	f.KVs = make([]KV, 0, nKVRaw)
	for i := 0; i < int(nKVRaw); i++ {
		key, err := c.str("metadata key")
		if err != nil {
			return nil, fmt.Errorf("metadata %d: %w", i, err)
		}
		vt, err := c.u32("metadata value type")
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		v, err := c.value(ValueType(vt), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, fmt.Errorf("%w: metadata key %q", ErrDuplicate, key)
		}
		f.kvIndex[key] = len(f.KVs)
		f.KVs = append(f.KVs, KV{Key: key, Value: Value{Type: ValueType(vt), V: v}})
	}
	if i, ok := f.kvIndex["general.alignment"]; ok {
		a, ok := f.KVs[i].Value.Int()
		if !ok || a <= 0 || a > 1<<20 || bits.OnesCount64(uint64(a)) != 1 {
			return nil, fmt.Errorf("%w: general.alignment = %v", ErrBadAlignment, f.KVs[i].Value.V)
		}
		f.Alignment = int(a)
	}
	f.Tensors = make([]Tensor, 0, nTensorsRaw)
	for i := 0; i < int(nTensorsRaw); i++ {
		t, err := c.tensorInfo()
		if err != nil {
			return nil, fmt.Errorf("tensor %d: %w", i, err)
		}
		if _, dup := f.tIndex[t.Name]; dup {
			return nil, fmt.Errorf("%w: tensor %q", ErrDuplicate, t.Name)
		}
		f.tIndex[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	start := alignUp(uint64(c.off), uint64(f.Alignment))
	if len(f.Tensors) > 0 && start > uint64(len(b)) {
		return nil, fmt.Errorf("%w: data section starts at %d beyond file size %d", ErrTruncated, start, len(b))
	}
	f.DataOffset = int64(start)
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Offset%uint64(f.Alignment) != 0 {
			return nil, fmt.Errorf("%w: tensor %q offset %d not aligned to %d", ErrBadTensor, t.Name, t.Offset, f.Alignment)
		}
		size := uint64(t.Size())
		avail := uint64(len(b)) - start
		if t.Offset > avail || size > avail-t.Offset {
			return nil, fmt.Errorf("%w: tensor %q data [%d, +%d) beyond data section of %d bytes", ErrTruncated, t.Name, t.Offset, size, avail)
		}
		t.Data = b[start+t.Offset : start+t.Offset+size : start+t.Offset+size]
	}
	return f, nil
}

// maxElements bounds a tensor's element count so byte sizes cannot overflow.
const maxElements = 1 << 48

func (c *cursor) tensorInfo() (Tensor, error) {
	var t Tensor
	var err error
	if t.Name, err = c.str("tensor name"); err != nil {
		return t, err
	}
	nd, err := c.u32("tensor rank")
	if err != nil {
		return t, err
	}
	if nd == 0 || nd > MaxDims {
		return t, fmt.Errorf("%w: %q has rank %d (want 1..%d)", ErrBadTensor, t.Name, nd, MaxDims)
	}
	t.Dims = make([]uint64, nd)
	total := uint64(1)
	for i := range t.Dims {
		d, err := c.u64("tensor dimension")
		if err != nil {
			return t, err
		}
		if d == 0 || d > maxElements {
			return t, fmt.Errorf("%w: %q dimension %d is %d", ErrBadTensor, t.Name, i, d)
		}
		hi, lo := bits.Mul64(total, d)
		if hi != 0 || lo > maxElements {
			return t, fmt.Errorf("%w: %q has too many elements", ErrTooLarge, t.Name)
		}
		total = lo
		t.Dims[i] = d
	}
	ty, err := c.u32("tensor type")
	if err != nil {
		return t, err
	}
	t.Type = TensorType(ty)
	if !t.Type.Supported() {
		return t, fmt.Errorf("%w: %q has type %d", ErrBadTensorType, t.Name, ty)
	}
	if t.Dims[0]%uint64(t.Type.BlockSize()) != 0 {
		return t, fmt.Errorf("%w: %q first dimension %d not a multiple of block size %d", ErrBadTensor, t.Name, t.Dims[0], t.Type.BlockSize())
	}
	if t.Offset, err = c.u64("tensor offset"); err != nil {
		return t, err
	}
	return t, nil
}

func alignUp(x, a uint64) uint64 {
	return (x + a - 1) / a * a
}
