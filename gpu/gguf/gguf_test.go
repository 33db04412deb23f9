package gguf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
)

// sampleWriter builds a file using every metadata type and tensor type.
func sampleWriter(t testing.TB, alignment uint32) (*Writer, map[string][]float32) {
	w := NewWriter()
	if alignment != 0 {
		w.Set("general.alignment", alignment)
	}
	w.Set("general.architecture", "llama")
	w.Set("u8", uint8(200))
	w.Set("i8", int8(-100))
	w.Set("u16", uint16(60000))
	w.Set("i16", int16(-30000))
	w.Set("u32", uint32(4000000000))
	w.Set("i32", int32(-2000000000))
	w.Set("f32", float32(3.25))
	w.Set("bool", true)
	w.Set("str", "héllo")
	w.Set("u64", uint64(1<<63+5))
	w.Set("i64", int64(-1<<62))
	w.Set("f64", math.Pi)
	w.Set("arr.u8", []uint8{1, 2, 3})
	w.Set("arr.i8", []int8{-1, 2})
	w.Set("arr.u16", []uint16{7})
	w.Set("arr.i16", []int16{-7, 8})
	w.Set("arr.u32", []uint32{1, 1 << 31})
	w.Set("arr.i32", []int32{-5})
	w.Set("arr.f32", []float32{0.5, -1.5})
	w.Set("arr.bool", []bool{true, false, true})
	w.Set("arr.str", []string{"a", "", "ccc"})
	w.Set("arr.u64", []uint64{9})
	w.Set("arr.i64", []int64{-9})
	w.Set("arr.f64", []float64{2.5})
	w.Set("arr.empty", []uint32{})
	w.Set("arr.nested", []Array{{Type: ValString, Values: []string{"x"}}, {Type: ValInt32, Values: []int32{1, 2}}})
	rng := rand.New(rand.NewPCG(1, 2))
	vals := map[string][]float32{}
	for _, tt := range []TensorType{TypeF32, TypeF16, TypeBF16, TypeQ8_0, TypeQ4_0} {
		v := make([]float32, 64*3)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		name := "t." + tt.String()
		vals[name] = v
		w.AddFloat32(name, tt, []uint64{64, 3}, v)
	}
	return w, vals
}

func TestRoundTrip(t *testing.T) {
	for _, align := range []uint32{0, 64} {
		w, vals := sampleWriter(t, align)
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		f, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		wantAlign := int(align)
		if align == 0 {
			wantAlign = DefaultAlignment
		}
		if f.Alignment != wantAlign || f.DataOffset%int64(wantAlign) != 0 {
			t.Fatalf("alignment %d data offset %d", f.Alignment, f.DataOffset)
		}
		if len(f.KVs) != len(w.kvs) {
			t.Fatalf("got %d kvs want %d", len(f.KVs), len(w.kvs))
		}
		for i, kv := range w.kvs {
			got := f.KVs[i]
			if got.Key != kv.Key || got.Value.Type != kv.Value.Type || !reflect.DeepEqual(got.Value.V, kv.Value.V) {
				t.Errorf("kv %d: got %q=%#v want %q=%#v", i, got.Key, got.Value, kv.Key, kv.Value)
			}
		}
		for _, tw := range w.tensors {
			tr, err := f.Tensor(tw.Name)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Offset%uint64(wantAlign) != 0 || !bytes.Equal(tr.Data, tw.Data) || tr.Type != tw.Type || !reflect.DeepEqual(tr.Dims, tw.Dims) {
				t.Errorf("tensor %s differs after round trip", tw.Name)
			}
			got, err := tr.Float32s()
			if err != nil {
				t.Fatal(err)
			}
			bound := map[TensorType]float64{TypeF32: 0, TypeF16: 1e-6, TypeBF16: 3e-5, TypeQ8_0: 1e-4, TypeQ4_0: 2e-2}[tr.Type]
			if e := nmse(got, vals[tw.Name]); e > bound {
				t.Errorf("%s: NMSE %g above %g", tw.Name, e, bound)
			}
		}
		s, err := f.String("str")
		if err != nil || s != "héllo" {
			t.Fatalf("String: %q %v", s, err)
		}
		if _, err := f.Int("str"); !errors.Is(err, ErrWrongType) {
			t.Fatalf("Int on string: %v", err)
		}
		if _, err := f.Tensor("nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing tensor: %v", err)
		}
	}
}

func nmse(got, want []float32) float64 {
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	return num / den
}

func TestOpenMmapAndInspect(t *testing.T) {
	w, _ := sampleWriter(t, 0)
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := f.Tensor("t.Q8_0")
	row := make([]float32, 64)
	if err := tt.DequantizeRow(2, row); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := tt.DequantizeRow(0, row); !errors.Is(err, ErrClosed) {
		t.Fatalf("use after close: %v", err)
	}
	info, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Architecture != "llama" || info.TensorCount != 5 || info.TensorTypes["Q4_0"] != 1 || info.ParameterCount != 5*192 {
		t.Fatalf("info %+v", info)
	}
	if _, err := json.Marshal(info); err != nil {
		t.Fatal(err)
	}
}

func TestF16Conversions(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if f != f { // NaN
			if back := F32ToF16(f); F16ToF32(back) == F16ToF32(back) {
				t.Fatalf("NaN %#x did not stay NaN", h)
			}
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("f16 %#04x -> %g -> %#04x", h, f, back)
		}
	}
	cases := []struct {
		f float32
		h uint16
	}{{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00}, {5.960464477539063e-08, 0x0001}, {0.333333333, 0x3555}, {1.0009765625 / 2 * 2, 0x3c01}}
	for _, c := range cases {
		if got := F32ToF16(c.f); got != c.h {
			t.Errorf("F32ToF16(%g) = %#04x want %#04x", c.f, got, c.h)
		}
	}
	// Ties round to even: 1 + 2^-11 lies halfway between 0x3c00 and 0x3c01.
	if got := F32ToF16(1 + 1.0/2048); got != 0x3c00 {
		t.Errorf("tie rounded to %#04x", got)
	}
	if got := F32ToF16(1 + 3.0/2048); got != 0x3c02 {
		t.Errorf("tie rounded to %#04x", got)
	}
	if got := F32ToBF16(1.00390625); got != 0x3f80 { // tie, even stays
		t.Errorf("bf16 tie %#04x", got)
	}
	if BF16ToF32(0x3fc0) != 1.5 {
		t.Error("bf16 1.5")
	}
}

// TestBlockLayouts checks hand-built blocks against ggml's documented layout.
func TestBlockLayouts(t *testing.T) {
	q8 := make([]byte, BlockBytesQ8_0)
	binary.LittleEndian.PutUint16(q8, 0x3800) // d = 0.5
	for j := 0; j < QK; j++ {
		q8[2+j] = byte(int8(j - 16))
	}
	out := make([]float32, QK)
	if err := Dequantize(TypeQ8_0, q8, out); err != nil {
		t.Fatal(err)
	}
	for j := range out {
		if out[j] != 0.5*float32(j-16) {
			t.Fatalf("q8_0[%d] = %g", j, out[j])
		}
	}
	q4 := make([]byte, BlockBytesQ4_0)
	binary.LittleEndian.PutUint16(q4, 0x4000) // d = 2
	for j := 0; j < QK/2; j++ {
		q4[2+j] = byte(j) | byte(15-j)<<4
	}
	if err := Dequantize(TypeQ4_0, q4, out); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < QK/2; j++ {
		if out[j] != 2*float32(j-8) || out[j+16] != 2*float32(7-j) {
			t.Fatalf("q4_0 pair %d = %g, %g", j, out[j], out[j+16])
		}
	}
	// Quantising exactly representable values must reproduce them.
	x := make([]float32, QK)
	for j := range x {
		x[j] = float32(j-16) * 0.25
	}
	x[0] = -8 * 0.5 // largest magnitude, negative: q4_0 uses d = max/-8
	b, _ := Quantize(TypeQ4_0, x)
	if d := F16ToF32(binary.LittleEndian.Uint16(b)); d != 0.5 {
		t.Fatalf("q4_0 scale %g", d)
	}
	b, _ = Quantize(TypeQ8_0, x)
	if d := F16ToF32(binary.LittleEndian.Uint16(b)); math.Abs(float64(d)-4.0/127) > 1e-4 {
		t.Fatalf("q8_0 scale %g", d)
	}
	if int8(b[2]) != -127 {
		t.Fatalf("q8_0 first quant %d", int8(b[2]))
	}
}

func validFile(t testing.TB) []byte {
	w, _ := sampleWriter(t, 0)
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTruncationsNeverPanic(t *testing.T) {
	b := validFile(t)
	full, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	last := full.Tensors[len(full.Tensors)-1]
	end := int(full.DataOffset) + int(last.Offset) + last.Size() // trailing padding is optional
	for n := 0; n < end; n++ {
		_, err := Parse(b[:n])
		if err == nil {
			t.Fatalf("prefix of %d/%d bytes parsed without error", n, end)
		}
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("prefix %d: unexpected error %v", n, err)
		}
	}
}

func header(nTensors, nKV uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, Magic)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, nTensors)
	return binary.LittleEndian.AppendUint64(b, nKV)
}

func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func TestMalformed(t *testing.T) {
	le := binary.LittleEndian
	tensor := func(name string, dims []uint64, typ uint32, off uint64) []byte {
		b := header(1, 0)
		b = appendStr(b, name)
		b = le.AppendUint32(b, uint32(len(dims)))
		for _, d := range dims {
			b = le.AppendUint64(b, d)
		}
		b = le.AppendUint32(b, typ)
		b = le.AppendUint64(b, off)
		for len(b)%32 != 0 {
			b = append(b, 0)
		}
		return append(b, make([]byte, 256)...)
	}
	kv := func(key string, typ uint32, payload []byte) []byte {
		b := header(0, 1)
		b = appendStr(b, key)
		b = le.AppendUint32(b, typ)
		return append(b, payload...)
	}
	arr := func(et uint32, n uint64) []byte {
		b := le.AppendUint32(nil, et)
		return le.AppendUint64(b, n)
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"bad magic", append([]byte("GGUX"), make([]byte, 40)...), ErrBadMagic},
		{"version 1", append(le.AppendUint32(le.AppendUint32(nil, Magic), 1), make([]byte, 16)...), ErrUnsupportedVersion},
		{"huge kv count", header(0, 1<<60), ErrTooLarge},
		{"huge tensor count", header(1<<62, 0), ErrTooLarge},
		{"huge string", kv("k", uint32(ValString), le.AppendUint64(nil, 1<<62)), ErrTruncated},
		{"huge array", kv("k", uint32(ValArray), arr(uint32(ValUint64), 1<<61)), ErrTooLarge},
		{"huge string array", kv("k", uint32(ValArray), append(arr(uint32(ValString), 3), make([]byte, 20)...)), ErrTooLarge},
		{"unknown value type", kv("k", 13, make([]byte, 8)), ErrBadValueType},
		{"unknown array type", kv("k", uint32(ValArray), arr(99, 0)), ErrBadValueType},
		{"bad bool", kv("k", uint32(ValBool), []byte{2}), ErrBadValueType},
		{"deep arrays", kv("k", uint32(ValArray), bytes.Repeat(arr(uint32(ValArray), 1), 10)), ErrTooLarge},
		{"bad alignment", kv("general.alignment", uint32(ValUint32), le.AppendUint32(nil, 48)), ErrBadAlignment},
		{"rank 0", tensor("t", nil, 0, 0), ErrBadTensor},
		{"rank 5", tensor("t", []uint64{1, 1, 1, 1, 1}, 0, 0), ErrBadTensor},
		{"zero dim", tensor("t", []uint64{4, 0}, 0, 0), ErrBadTensor},
		{"overflowing dims", tensor("t", []uint64{1 << 40, 1 << 40}, 0, 0), ErrTooLarge},
		{"unknown tensor type", tensor("t", []uint64{4}, 77, 0), ErrBadTensorType},
		{"unsupported q4_1", tensor("t", []uint64{32}, 3, 0), ErrBadTensorType},
		{"bad block multiple", tensor("t", []uint64{33}, uint32(TypeQ8_0), 0), ErrBadTensor},
		{"unaligned offset", tensor("t", []uint64{4}, 0, 4), ErrBadTensor},
		{"offset past end", tensor("t", []uint64{4}, 0, 1<<40), ErrTruncated},
		{"data past end", tensor("t", []uint64{1000}, 0, 0), ErrTruncated},
	}
	for _, c := range cases {
		_, err := Parse(c.b)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v want %v", c.name, err, c.want)
		}
	}
	// Duplicate keys.
	b := header(0, 2)
	for i := 0; i < 2; i++ {
		b = appendStr(b, "k")
		b = le.AppendUint32(b, uint32(ValUint8))
		b = append(b, 1)
	}
	if _, err := Parse(b); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate key: %v", err)
	}
}

func TestWriterRejectsBadInput(t *testing.T) {
	w := NewWriter()
	w.AddTensor("x", TypeQ8_0, []uint64{32}, make([]byte, 10))
	if _, err := w.WriteTo(&bytes.Buffer{}); !errors.Is(err, ErrBadTensor) {
		t.Fatalf("short data: %v", err)
	}
	w = NewWriter()
	w.Set("general.alignment", uint32(3))
	if _, err := w.WriteTo(&bytes.Buffer{}); !errors.Is(err, ErrBadAlignment) {
		t.Fatalf("alignment: %v", err)
	}
}
