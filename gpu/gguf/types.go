package gguf

import "fmt"

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types, numbered as in the GGUF specification.
const (
	ValUint8   ValueType = 0
	ValInt8    ValueType = 1
	ValUint16  ValueType = 2
	ValInt16   ValueType = 3
	ValUint32  ValueType = 4
	ValInt32   ValueType = 5
	ValFloat32 ValueType = 6
	ValBool    ValueType = 7
	ValString  ValueType = 8
	ValArray   ValueType = 9
	ValUint64  ValueType = 10
	ValInt64   ValueType = 11
	ValFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// fixedSize is the encoded size of a scalar of type t, 0 for string/array,
// -1 for unknown types.
func (t ValueType) fixedSize() int {
	switch t {
	case ValUint8, ValInt8, ValBool:
		return 1
	case ValUint16, ValInt16:
		return 2
	case ValUint32, ValInt32, ValFloat32:
		return 4
	case ValUint64, ValInt64, ValFloat64:
		return 8
	case ValString, ValArray:
		return 0
	}
	return -1
}

// TensorType is a ggml tensor element type.
type TensorType uint32

// Tensor types supported by this package, numbered as in ggml.
const (
	TypeF32  TensorType = 0
	TypeF16  TensorType = 1
	TypeQ4_0 TensorType = 2
	TypeQ8_0 TensorType = 8
	TypeBF16 TensorType = 30
)

// QK is the number of values in one Q8_0 or Q4_0 block.
const QK = 32

// Block sizes in bytes.
const (
	BlockBytesQ8_0 = 2 + QK   // float16 scale + 32 int8
	BlockBytesQ4_0 = 2 + QK/2 // float16 scale + 16 bytes of nibbles
)

func (t TensorType) String() string {
	switch t {
	case TypeF32:
		return "F32"
	case TypeF16:
		return "F16"
	case TypeQ4_0:
		return "Q4_0"
	case TypeQ8_0:
		return "Q8_0"
	case TypeBF16:
		return "BF16"
	}
	return fmt.Sprintf("TensorType(%d)", uint32(t))
}

// ParseTensorType maps a name such as "q8_0" or "F16" to a type.
func ParseTensorType(s string) (TensorType, error) {
	switch s {
	case "f32", "F32":
		return TypeF32, nil
	case "f16", "F16":
		return TypeF16, nil
	case "bf16", "BF16":
		return TypeBF16, nil
	case "q8_0", "Q8_0":
		return TypeQ8_0, nil
	case "q4_0", "Q4_0":
		return TypeQ4_0, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrBadTensorType, s)
}

// Supported reports whether the package can store and decode t.
func (t TensorType) Supported() bool {
	switch t {
	case TypeF32, TypeF16, TypeQ4_0, TypeQ8_0, TypeBF16:
		return true
	}
	return false
}

// BlockSize is the number of elements per storage block (1 for float types).
func (t TensorType) BlockSize() int {
	switch t {
	case TypeQ4_0, TypeQ8_0:
		return QK
	}
	return 1
}

// BlockBytes is the number of bytes per storage block.
func (t TensorType) BlockBytes() int {
	switch t {
	case TypeF32:
		return 4
	case TypeF16, TypeBF16:
		return 2
	case TypeQ4_0:
		return BlockBytesQ4_0
	case TypeQ8_0:
		return BlockBytesQ8_0
	}
	return 0
}

// RowBytes returns the bytes needed for n elements, which must be a multiple
// of the block size.
func (t TensorType) RowBytes(n int) int {
	return n / t.BlockSize() * t.BlockBytes()
}
