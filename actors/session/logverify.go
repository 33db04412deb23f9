package session

import "fmt"

func logProofErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrLogProof}, args...)...)
}

// VerifyInclusion checks that leaf (a leaf hash) is at index in the tree of
// size with the given root, following RFC 9162 §2.1.3.2 step by step.
func VerifyInclusion(leaf Hash, index, size uint64, proof []Hash, root Hash) error {
	// 1. leaf_index must be less than tree_size.
	if index >= size {
		return logProofErr("inclusion: leaf index %d not below tree size %d", index, size)
	}
	// 2. fn = leaf_index, sn = tree_size - 1. 3. r = hash.
	fn, sn := index, size-1
	r := leaf
	// 4. For each p in the path.
	for i, p := range proof {
		// a. sn = 0: fail.
		if sn == 0 {
			return logProofErr("inclusion: path has %d extra hashes from %d", len(proof)-i, i)
		}
		// b. LSB(fn) set or fn = sn.
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = NodeHash(r, p)
		}
		// c. Shift both once.
		fn >>= 1
		sn >>= 1
	}
	// 5. sn must be 0 and r the root.
	if sn != 0 {
		return logProofErr("inclusion: path too short for leaf %d of %d", index, size)
	}
	if r != root {
		return logProofErr("inclusion: computed root %s, want %s", r, root)
	}
	return nil
}

// VerifyConsistency checks that the tree of size second with root
// secondRoot extends the tree of size first with root firstRoot, following
// RFC 9162 §2.1.4.2 step by step for 0 < first < second. For
// first = second the proof must be empty and the roots equal (PROOF(m,
// D[m]) is empty by §2.1.4.1); first = 0 or first > second is an error.
func VerifyConsistency(first, second uint64, firstRoot, secondRoot Hash, proof []Hash) error {
	if first == 0 || first > second {
		return logProofErr("consistency: sizes %d -> %d, want 0 < first ≤ second", first, second)
	}
	if first == second {
		if len(proof) != 0 {
			return logProofErr("consistency: equal sizes need an empty proof, got %d hashes", len(proof))
		}
		if firstRoot != secondRoot {
			return logProofErr("consistency: equal sizes %d with different roots", first)
		}
		return nil
	}
	// 1. An empty path fails.
	if len(proof) == 0 {
		return logProofErr("consistency: empty proof for %d -> %d", first, second)
	}
	// 2. If first is an exact power of 2, prepend first_hash.
	if first&(first-1) == 0 {
		proof = append([]Hash{firstRoot}, proof...)
	}
	// 3. fn = first - 1, sn = second - 1.
	fn, sn := first-1, second-1
	// 4. While LSB(fn) is set, shift both.
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	// 5. fr = sr = first value.
	fr, sr := proof[0], proof[0]
	// 6. For each subsequent value c.
	for i, c := range proof[1:] {
		// a. sn = 0: fail.
		if sn == 0 {
			return logProofErr("consistency: proof has %d extra hashes", len(proof)-1-i)
		}
		// b. LSB(fn) set or fn = sn.
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = NodeHash(sr, c)
		}
		// c. Shift both once.
		fn >>= 1
		sn >>= 1
	}
	// 7. fr = first_hash, sr = second_hash, sn = 0.
	if sn != 0 {
		return logProofErr("consistency: proof too short for %d -> %d", first, second)
	}
	if fr != firstRoot {
		return logProofErr("consistency: computed first root %s, want %s", fr, firstRoot)
	}
	if sr != secondRoot {
		return logProofErr("consistency: computed second root %s, want %s", sr, secondRoot)
	}
	return nil
}
