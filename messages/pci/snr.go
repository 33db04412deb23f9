package pci

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// SNR parameters; doc.go states the formula they belong to.
const (
	snrRhoZeroLow  = 0.15 // normalized entropy at or below which E = 0
	snrRhoOneLow   = 0.35 // E reaches 1 here ...
	snrRhoOneHigh  = 0.90 // ... and stays 1 up to here
	snrRhoZeroHigh = 1.00 // E falls to 0 here (uniform noise)
	snrNoveltyFull = 0.25 // novelty at or above which N = 1
	snrMinMatch    = 8    // shortest repeat that counts as redundancy
	snrTableBits   = 12
)

// SNR returns the signal-to-noise score of payload, in [0,1]:
//
//	SNR = E(ρ) · N(ν)
//
// ρ is the normalized byte entropy: the Miller–Madow corrected Shannon
// entropy of the byte histogram divided by the 8 bits of a uniformly random
// byte. E is a trapezoid: 0 for ρ ≤ 0.15, rising linearly to 1 at 0.35, 1
// up to 0.90, falling linearly to 0 at 1.0. Text and structured messages
// sit in the plateau; constant or few-symbol payloads fall below it,
// uniformly random bytes above it once the payload is long enough to show
// it. A payload of n bytes can show at most log2(n) bits of entropy, so
// below about 256 bytes random bytes cannot be told from text by their
// histogram: they land in the plateau rather than being rejected on too
// little evidence (short TaskCards must pass), and only novelty judges them.
//
// ν is the novelty: the fraction of bytes not covered by a greedy scan for
// repeats of at least 8 bytes of earlier content (an LZ77 parse).
// N = min(1, ν/0.25): a payload at least a quarter new scores 1, one that
// mostly repeats itself (more than four copies) scores proportionally less.
//
// Payloads shorter than 2 bytes score 0. The cost is linear in len(payload)
// and SNR does not allocate.
func SNR(payload []byte) float64 {
	n := len(payload)
	if n < 2 {
		return 0
	}
	var hist [256]uint32
	for _, b := range payload {
		hist[b]++
	}
	var h float64
	k := 0
	fn := float64(n)
	for _, c := range hist {
		if c == 0 {
			continue
		}
		k++
		p := float64(c) / fn
		h -= p * math.Log2(p)
	}
	h += float64(k-1) / (2 * fn * math.Ln2) // Miller–Madow bias correction
	rho := math.Min(1, h/8)
	e := trapezoid(rho)
	if e == 0 {
		return 0
	}
	nu := novelty(payload)
	nn := math.Min(1, nu/snrNoveltyFull)
	return clamp01(e * nn)
}

func trapezoid(rho float64) float64 {
	switch {
	case rho <= snrRhoZeroLow:
		return 0
	case rho < snrRhoOneLow:
		return (rho - snrRhoZeroLow) / (snrRhoOneLow - snrRhoZeroLow)
	case rho <= snrRhoOneHigh:
		return 1
	case rho < snrRhoZeroHigh:
		return (snrRhoZeroHigh - rho) / (snrRhoZeroHigh - snrRhoOneHigh)
	default:
		return 0
	}
}

// novelty returns the fraction of p's bytes that are not part of a repeat
// (>= snrMinMatch bytes) of earlier content.
func novelty(p []byte) float64 {
	n := len(p)
	if n < snrMinMatch*2 {
		return 1
	}
	if n > math.MaxInt32-1 { // positions are stored as int32
		n = math.MaxInt32 - 1
		p = p[:n]
	}
	var buf [1 << snrTableBits]int32 // position+1 of the last 8-gram with that hash
	tbits := min(snrTableBits, bits.Len(uint(n)))
	table := buf[:1<<tbits]
	covered := 0
	last := n - snrMinMatch
	for i := 0; i <= last; {
		v := binary.LittleEndian.Uint64(p[i:])
		hsh := (v * 0x9E3779B97F4A7C15) >> (64 - tbits)
		cand := int(table[hsh]) - 1
		table[hsh] = int32(i + 1)
		if cand >= 0 && binary.LittleEndian.Uint64(p[cand:]) == v {
			l := snrMinMatch
			for i+l < n && p[cand+l] == p[i+l] {
				l++
			}
			covered += l
			i += l
			continue
		}
		i++
	}
	return float64(n-covered) / float64(n)
}

func clamp01(v float64) float64 {
	if v < 0 || math.IsNaN(v) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}
