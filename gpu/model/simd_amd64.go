package model

import "golang.org/x/sys/cpu"

// useSIMD selects the AVX2/FMA/F16C kernels in simd_amd64.s.
var useSIMD = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasOSXSAVE

// The kernels take nb blocks of 32 values. Dot2 applies to two vectors the
// same per-vector operations, in the same order, as Dot1 does to one, so
// results do not depend on how a batch is grouped.

//go:noescape
func q8Dot1(row *byte, x *float32, nb int) float32

//go:noescape
func q8Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)

//go:noescape
func q4Dot1(row *byte, x *float32, nb int) float32

//go:noescape
func q4Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)

//go:noescape
func f16Dot1(row *byte, x *float32, nb int) float32

//go:noescape
func f16Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)

//go:noescape
func f32Dot1(row *float32, x *float32, nb int) float32

//go:noescape
func f32Dot2(row *float32, x0, x1 *float32, nb int, out *[2]float32)

//go:noescape
func q8q8Dot1(w *byte, xq *int8, xs *float32, nb int) float32

//go:noescape
func q8q8Dot2(w *byte, xq0, xq1 *int8, xs0, xs1 *float32, nb int, out *[2]float32)
