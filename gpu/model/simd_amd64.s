#include "textflag.h"

// Register use: Y0-Y3 one decoded block (4 x 8 floats), Y4 the block
// scale, Y8-Y11 the four partial sums of vector 0, Y12-Y15 of vector 1.

// REDUCE sums four accumulators a,b,c,d as (a+b)+(c+d), then the 8 lanes,
// leaving the result in the low lane of Xa.
#define REDUCE(a, b, c, d, xa, xc) \
	VADDPS b, a, a \
	VADDPS d, c, c \
	VADDPS c, a, a \
	VEXTRACTF128 $1, a, xc \
	VADDPS xc, xa, xa \
	VHADDPS xa, xa, xa \
	VHADDPS xa, xa, xa

#define ZERO8 \
	VXORPS Y8, Y8, Y8 \
	VXORPS Y9, Y9, Y9 \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

#define ZERO16 \
	ZERO8 \
	VXORPS Y12, Y12, Y12 \
	VXORPS Y13, Y13, Y13 \
	VXORPS Y14, Y14, Y14 \
	VXORPS Y15, Y15, Y15

#define FMA4(x, a, b, c, d) \
	VFMADD231PS (x), Y0, a \
	VFMADD231PS 32(x), Y1, b \
	VFMADD231PS 64(x), Y2, c \
	VFMADD231PS 96(x), Y3, d

// Q8_0 block at SI: f16 scale, 32 int8.
#define DECODE_Q8 \
	MOVWLZX (SI), AX \
	VMOVD AX, X4 \
	VCVTPH2PS X4, X4 \
	VBROADCASTSS X4, Y4 \
	VPMOVSXBD 2(SI), Y0 \
	VPMOVSXBD 10(SI), Y1 \
	VPMOVSXBD 18(SI), Y2 \
	VPMOVSXBD 26(SI), Y3 \
	VCVTDQ2PS Y0, Y0 \
	VCVTDQ2PS Y1, Y1 \
	VCVTDQ2PS Y2, Y2 \
	VCVTDQ2PS Y3, Y3 \
	VMULPS Y4, Y0, Y0 \
	VMULPS Y4, Y1, Y1 \
	VMULPS Y4, Y2, Y2 \
	VMULPS Y4, Y3, Y3

// Q4_0 block at SI: f16 scale, 16 bytes; byte j holds value j (low nibble)
// and value j+16 (high nibble), each offset by 8.
#define DECODE_Q4 \
	MOVWLZX (SI), AX \
	VMOVD AX, X4 \
	VCVTPH2PS X4, X4 \
	VBROADCASTSS X4, Y4 \
	VMOVDQU 2(SI), X5 \
	VPSRLW $4, X5, X6 \
	VPAND q4mask<>(SB), X5, X5 \
	VPAND q4mask<>(SB), X6, X6 \
	VPSUBB q4eight<>(SB), X5, X5 \
	VPSUBB q4eight<>(SB), X6, X6 \
	VPMOVSXBD X5, Y0 \
	VPSRLDQ $8, X5, X5 \
	VPMOVSXBD X5, Y1 \
	VPMOVSXBD X6, Y2 \
	VPSRLDQ $8, X6, X6 \
	VPMOVSXBD X6, Y3 \
	VCVTDQ2PS Y0, Y0 \
	VCVTDQ2PS Y1, Y1 \
	VCVTDQ2PS Y2, Y2 \
	VCVTDQ2PS Y3, Y3 \
	VMULPS Y4, Y0, Y0 \
	VMULPS Y4, Y1, Y1 \
	VMULPS Y4, Y2, Y2 \
	VMULPS Y4, Y3, Y3

#define DECODE_F16 \
	VCVTPH2PS (SI), Y0 \
	VCVTPH2PS 16(SI), Y1 \
	VCVTPH2PS 32(SI), Y2 \
	VCVTPH2PS 48(SI), Y3

#define DECODE_F32 \
	VMOVUPS (SI), Y0 \
	VMOVUPS 32(SI), Y1 \
	VMOVUPS 64(SI), Y2 \
	VMOVUPS 96(SI), Y3

// func q8Dot1(row *byte, x *float32, nb int) float32
TEXT ·q8Dot1(SB), NOSPLIT, $0-28
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	ZERO8
	TESTQ CX, CX
	JZ q8d1done
q8d1loop:
	DECODE_Q8
	FMA4(DI, Y8, Y9, Y10, Y11)
	ADDQ $34, SI
	ADDQ $128, DI
	DECQ CX
	JNZ q8d1loop
q8d1done:
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	VMOVSS X8, ret+24(FP)
	VZEROUPPER
	RET

// func q8Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)
TEXT ·q8Dot2(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), SI
	MOVQ x0+8(FP), DI
	MOVQ x1+16(FP), R8
	MOVQ nb+24(FP), CX
	ZERO16
	TESTQ CX, CX
	JZ q8d2done
q8d2loop:
	DECODE_Q8
	FMA4(DI, Y8, Y9, Y10, Y11)
	FMA4(R8, Y12, Y13, Y14, Y15)
	ADDQ $34, SI
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ CX
	JNZ q8d2loop
q8d2done:
	MOVQ out+32(FP), DX
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	REDUCE(Y12, Y13, Y14, Y15, X12, X14)
	VMOVSS X8, (DX)
	VMOVSS X12, 4(DX)
	VZEROUPPER
	RET

// Constants for DECODE_Q4.
DATA q4mask<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4mask<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q4mask<>(SB), RODATA|NOPTR, $16
DATA q4eight<>+0(SB)/8, $0x0808080808080808
DATA q4eight<>+8(SB)/8, $0x0808080808080808
GLOBL q4eight<>(SB), RODATA|NOPTR, $16

// func q4Dot1(row *byte, x *float32, nb int) float32
TEXT ·q4Dot1(SB), NOSPLIT, $0-28
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	ZERO8
	TESTQ CX, CX
	JZ q4d1done
q4d1loop:
	DECODE_Q4
	FMA4(DI, Y8, Y9, Y10, Y11)
	ADDQ $18, SI
	ADDQ $128, DI
	DECQ CX
	JNZ q4d1loop
q4d1done:
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	VMOVSS X8, ret+24(FP)
	VZEROUPPER
	RET

// func q4Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)
TEXT ·q4Dot2(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), SI
	MOVQ x0+8(FP), DI
	MOVQ x1+16(FP), R8
	MOVQ nb+24(FP), CX
	ZERO16
	TESTQ CX, CX
	JZ q4d2done
q4d2loop:
	DECODE_Q4
	FMA4(DI, Y8, Y9, Y10, Y11)
	FMA4(R8, Y12, Y13, Y14, Y15)
	ADDQ $18, SI
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ CX
	JNZ q4d2loop
q4d2done:
	MOVQ out+32(FP), DX
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	REDUCE(Y12, Y13, Y14, Y15, X12, X14)
	VMOVSS X8, (DX)
	VMOVSS X12, 4(DX)
	VZEROUPPER
	RET

// func f16Dot1(row *byte, x *float32, nb int) float32
TEXT ·f16Dot1(SB), NOSPLIT, $0-28
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	ZERO8
	TESTQ CX, CX
	JZ f16d1done
f16d1loop:
	DECODE_F16
	FMA4(DI, Y8, Y9, Y10, Y11)
	ADDQ $64, SI
	ADDQ $128, DI
	DECQ CX
	JNZ f16d1loop
f16d1done:
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	VMOVSS X8, ret+24(FP)
	VZEROUPPER
	RET

// func f16Dot2(row *byte, x0, x1 *float32, nb int, out *[2]float32)
TEXT ·f16Dot2(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), SI
	MOVQ x0+8(FP), DI
	MOVQ x1+16(FP), R8
	MOVQ nb+24(FP), CX
	ZERO16
	TESTQ CX, CX
	JZ f16d2done
f16d2loop:
	DECODE_F16
	FMA4(DI, Y8, Y9, Y10, Y11)
	FMA4(R8, Y12, Y13, Y14, Y15)
	ADDQ $64, SI
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ CX
	JNZ f16d2loop
f16d2done:
	MOVQ out+32(FP), DX
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	REDUCE(Y12, Y13, Y14, Y15, X12, X14)
	VMOVSS X8, (DX)
	VMOVSS X12, 4(DX)
	VZEROUPPER
	RET

// func f32Dot1(row *float32, x *float32, nb int) float32
TEXT ·f32Dot1(SB), NOSPLIT, $0-28
	MOVQ row+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	ZERO8
	TESTQ CX, CX
	JZ f32d1done
f32d1loop:
	DECODE_F32
	FMA4(DI, Y8, Y9, Y10, Y11)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ f32d1loop
f32d1done:
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	VMOVSS X8, ret+24(FP)
	VZEROUPPER
	RET

// func f32Dot2(row *float32, x0, x1 *float32, nb int, out *[2]float32)
TEXT ·f32Dot2(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), SI
	MOVQ x0+8(FP), DI
	MOVQ x1+16(FP), R8
	MOVQ nb+24(FP), CX
	ZERO16
	TESTQ CX, CX
	JZ f32d2done
f32d2loop:
	DECODE_F32
	FMA4(DI, Y8, Y9, Y10, Y11)
	FMA4(R8, Y12, Y13, Y14, Y15)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R8
	DECQ CX
	JNZ f32d2loop
f32d2done:
	MOVQ out+32(FP), DX
	REDUCE(Y8, Y9, Y10, Y11, X8, X10)
	REDUCE(Y12, Y13, Y14, Y15, X12, X14)
	VMOVSS X8, (DX)
	VMOVSS X12, 4(DX)
	VZEROUPPER
	RET

// Q8_0 weights times Q8-quantised activations. Per block: w at SI (f16
// scale, 32 int8), xq at DI (32 int8), xs at R9 (the activation block
// scale repeated 8 times). The int8 dot uses the sign trick:
// maddubs(|w|, sign(xq, w)) then madd with ones; even blocks accumulate in
// one register and odd blocks in another, summed at the end.

DATA ones16<>+0(SB)/8, $0x0001000100010001
DATA ones16<>+8(SB)/8, $0x0001000100010001
DATA ones16<>+16(SB)/8, $0x0001000100010001
DATA ones16<>+24(SB)/8, $0x0001000100010001
GLOBL ones16<>(SB), RODATA|NOPTR, $32

// QQ_W decodes the weight block at SI+off: Y4 = d_w (8 lanes), Y0 = w,
// Y1 = |w|. off2 must be off+2.
#define QQ_W(off, off2) \
	VPBROADCASTW off(SI), X4 \
	VCVTPH2PS X4, Y4 \
	VMOVDQU off2(SI), Y0 \
	VPSIGNB Y0, Y0, Y1

// QQ_X accumulates one vector's block into acc: int8 values at
// xp+BX+off, scales at sp+BX+off.
#define QQ_X(off, xp, sp, acc) \
	VMOVDQU off(xp)(BX*1), Y2 \
	VPSIGNB Y0, Y2, Y2 \
	VPMADDUBSW Y2, Y1, Y2 \
	VPMADDWD Y6, Y2, Y2 \
	VCVTDQ2PS Y2, Y2 \
	VMULPS off(sp)(BX*1), Y4, Y3 \
	VFMADD231PS Y3, Y2, acc

#define REDUCE2(a, b, xa, xb) \
	VADDPS b, a, a \
	VEXTRACTF128 $1, a, xb \
	VADDPS xb, xa, xa \
	VHADDPS xa, xa, xa \
	VHADDPS xa, xa, xa

// func q8q8Dot1(w *byte, xq *int8, xs *float32, nb int) float32
TEXT ·q8q8Dot1(SB), NOSPLIT, $0-36
	MOVQ w+0(FP), SI
	MOVQ xq+8(FP), DI
	MOVQ xs+16(FP), R9
	MOVQ nb+24(FP), CX
	XORQ BX, BX
	VMOVDQU ones16<>(SB), Y6
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	SUBQ $2, CX
	JLT qq1tail
qq1loop:
	QQ_W(0, 2)
	QQ_X(0, DI, R9, Y8)
	QQ_W(34, 36)
	QQ_X(32, DI, R9, Y9)
	ADDQ $68, SI
	ADDQ $64, BX
	SUBQ $2, CX
	JGE qq1loop
qq1tail:
	ADDQ $2, CX
	JZ qq1done
	QQ_W(0, 2)
	QQ_X(0, DI, R9, Y8)
qq1done:
	REDUCE2(Y8, Y9, X8, X9)
	VMOVSS X8, ret+32(FP)
	VZEROUPPER
	RET

// func q8q8Dot2(w *byte, xq0, xq1 *int8, xs0, xs1 *float32, nb int, out *[2]float32)
TEXT ·q8q8Dot2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ xq0+8(FP), DI
	MOVQ xq1+16(FP), R8
	MOVQ xs0+24(FP), R9
	MOVQ xs1+32(FP), R10
	MOVQ nb+40(FP), CX
	XORQ BX, BX
	VMOVDQU ones16<>(SB), Y6
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	SUBQ $2, CX
	JLT qq2tail
qq2loop:
	QQ_W(0, 2)
	QQ_X(0, DI, R9, Y8)
	QQ_X(0, R8, R10, Y10)
	QQ_W(34, 36)
	QQ_X(32, DI, R9, Y9)
	QQ_X(32, R8, R10, Y11)
	ADDQ $68, SI
	ADDQ $64, BX
	SUBQ $2, CX
	JGE qq2loop
qq2tail:
	ADDQ $2, CX
	JZ qq2done
	QQ_W(0, 2)
	QQ_X(0, DI, R9, Y8)
	QQ_X(0, R8, R10, Y10)
qq2done:
	MOVQ out+48(FP), DX
	REDUCE2(Y8, Y9, X8, X9)
	REDUCE2(Y10, Y11, X10, X11)
	VMOVSS X8, (DX)
	VMOVSS X10, 4(DX)
	VZEROUPPER
	RET
