//go:build !amd64

package model

const useSIMD = false

func q8Dot1(row *byte, x *float32, nb int) float32                   { panic("unreachable") }
func q8Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)     { panic("unreachable") }
func q4Dot1(row *byte, x *float32, nb int) float32                   { panic("unreachable") }
func q4Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)     { panic("unreachable") }
func f16Dot1(row *byte, x *float32, nb int) float32                  { panic("unreachable") }
func f16Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)    { panic("unreachable") }
func f32Dot1(row *float32, x *float32, nb int) float32               { panic("unreachable") }
func f32Dot2(row *float32, x0, x1 *float32, nb int, out *[2]float32) { panic("unreachable") }

func q8q8Dot1(w *byte, xq *int8, xs *float32, nb int) float32 { panic("unreachable") }
func q8q8Dot2(w *byte, xq0, xq1 *int8, xs0, xs1 *float32, nb int, out *[2]float32) {
	panic("unreachable")
}
