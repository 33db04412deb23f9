package gguf

import (
	"fmt"
	"math"
)

// Value is one metadata value: a scalar, a string, or an Array.
// The dynamic type of the held Go value matches Type: uint8, int8, uint16,
// int16, uint32, int32, float32, bool, string, Array, uint64, int64, float64.
type Value struct {
	Type ValueType
	V    any
}

// Array is a metadata array. Values holds a typed slice matching Type:
// []uint8, []int8, []uint16, []int16, []uint32, []int32, []float32, []bool,
// []string, []Array, []uint64, []int64 or []float64.
type Array struct {
	Type   ValueType
	Values any
}

// Len returns the number of elements.
func (a Array) Len() int {
	switch v := a.Values.(type) {
	case []uint8:
		return len(v)
	case []int8:
		return len(v)
	case []uint16:
		return len(v)
	case []int16:
		return len(v)
	case []uint32:
		return len(v)
	case []int32:
		return len(v)
	case []float32:
		return len(v)
	case []bool:
		return len(v)
	case []string:
		return len(v)
	case []Array:
		return len(v)
	case []uint64:
		return len(v)
	case []int64:
		return len(v)
	case []float64:
		return len(v)
	}
	return 0
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// NewValue wraps a Go value in a Value, inferring the type. It accepts the
// scalar types listed on Value, string, Array, and typed slices (which become
// arrays). It panics on other types, which is a programming error.
func NewValue(v any) Value {
	switch x := v.(type) {
	case uint8:
		return Value{ValUint8, x}
	case int8:
		return Value{ValInt8, x}
	case uint16:
		return Value{ValUint16, x}
	case int16:
		return Value{ValInt16, x}
	case uint32:
		return Value{ValUint32, x}
	case int32:
		return Value{ValInt32, x}
	case float32:
		return Value{ValFloat32, x}
	case bool:
		return Value{ValBool, x}
	case string:
		return Value{ValString, x}
	case uint64:
		return Value{ValUint64, x}
	case int64:
		return Value{ValInt64, x}
	case float64:
		return Value{ValFloat64, x}
	case Array:
		return Value{ValArray, x}
	case []uint8:
		return Value{ValArray, Array{ValUint8, x}}
	case []int8:
		return Value{ValArray, Array{ValInt8, x}}
	case []uint16:
		return Value{ValArray, Array{ValUint16, x}}
	case []int16:
		return Value{ValArray, Array{ValInt16, x}}
	case []uint32:
		return Value{ValArray, Array{ValUint32, x}}
	case []int32:
		return Value{ValArray, Array{ValInt32, x}}
	case []float32:
		return Value{ValArray, Array{ValFloat32, x}}
	case []bool:
		return Value{ValArray, Array{ValBool, x}}
	case []string:
		return Value{ValArray, Array{ValString, x}}
	case []Array:
		return Value{ValArray, Array{ValArray, x}}
	case []uint64:
		return Value{ValArray, Array{ValUint64, x}}
	case []int64:
		return Value{ValArray, Array{ValInt64, x}}
	case []float64:
		return Value{ValArray, Array{ValFloat64, x}}
	}
	panic(fmt.Sprintf("gguf: unsupported metadata Go type %T", v))
}

// Int returns an integer or bool value as int64.
func (v Value) Int() (int64, bool) {
	switch x := v.V.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Float returns a numeric value as float64.
func (v Value) Float() (float64, bool) {
	switch x := v.V.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	i, ok := v.Int()
	return float64(i), ok
}

// String returns a string value.
func (v Value) String() string {
	if s, ok := v.V.(string); ok {
		return s
	}
	return fmt.Sprint(v.V)
}
