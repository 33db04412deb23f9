package session

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

func hx(t testing.TB, s string) Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		t.Fatalf("bad test hash %q", s)
	}
	return Hash(b)
}

// Test vectors of the certificate-transparency reference implementation
// (RFC 6962 and RFC 9162 share the tree).
var ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}

var ctRoots = []string{
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

func ctLog(t testing.TB) *Log {
	l := &Log{}
	for _, s := range ctLeaves {
		b, _ := hex.DecodeString(s)
		l.Append(b)
	}
	return l
}

func TestCTVectors(t *testing.T) {
	l := ctLog(t)
	for size, want := range ctRoots {
		got, err := l.RootAt(uint64(size))
		if err != nil || got != hx(t, want) {
			t.Fatalf("root of %d leaves = %s, want %s", size, got, want)
		}
	}
	if l.Root() != hx(t, ctRoots[8]) || (&Log{}).Root() != hx(t, ctRoots[0]) {
		t.Fatal("Root() disagrees with the vectors")
	}
	if EmptyRoot() != Hash(sha256.Sum256(nil)) {
		t.Fatal("empty root")
	}
	incl := []struct {
		index, size uint64
		path        []string
	}{
		{0, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{0, 1, nil},
	}
	for _, v := range incl {
		got, err := l.InclusionProof(v.index, v.size)
		if err != nil || len(got) != len(v.path) {
			t.Fatalf("PATH(%d, %d): %v, %d hashes", v.index, v.size, err, len(got))
		}
		for i := range got {
			if got[i] != hx(t, v.path[i]) {
				t.Fatalf("PATH(%d, %d)[%d] = %s, want %s", v.index, v.size, i, got[i], v.path[i])
			}
		}
		leaf, _ := l.LeafHashAt(v.index)
		if err := VerifyInclusion(leaf, v.index, v.size, got, hx(t, ctRoots[v.size])); err != nil {
			t.Fatal(err)
		}
	}
	cons := []struct {
		m, n uint64
		path []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	for _, v := range cons {
		got, err := l.ConsistencyProof(v.m, v.n)
		if err != nil || len(got) != len(v.path) {
			t.Fatalf("PROOF(%d, %d): %v, %d hashes", v.m, v.n, err, len(got))
		}
		for i := range got {
			if got[i] != hx(t, v.path[i]) {
				t.Fatalf("PROOF(%d, %d)[%d] = %s, want %s", v.m, v.n, i, got[i], v.path[i])
			}
		}
		if err := VerifyConsistency(v.m, v.n, hx(t, ctRoots[v.m]), hx(t, ctRoots[v.n]), got); err != nil {
			t.Fatal(err)
		}
	}
}

// refRoot computes the tree head differently from mth: a left-to-right
// pass merging equal-sized perfect subtrees, then a right-to-left fold.
func refRoot(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return sha256.Sum256(nil)
	}
	type sub struct {
		h    Hash
		size int
	}
	var st []sub
	for _, l := range leaves {
		st = append(st, sub{l, 1})
		for len(st) >= 2 && st[len(st)-1].size == st[len(st)-2].size {
			a, b := st[len(st)-2], st[len(st)-1]
			st = append(st[:len(st)-2], sub{NodeHash(a.h, b.h), a.size * 2})
		}
	}
	r := st[len(st)-1].h
	for i := len(st) - 2; i >= 0; i-- {
		r = NodeHash(st[i].h, r)
	}
	return r
}

func flipped(p []Hash, i int) []Hash {
	q := append([]Hash(nil), p...)
	q[i][i%HashSize] ^= 0x40
	return q
}

const maxLeaves = 32

func testLog(t testing.TB) *Log {
	l := &Log{}
	for i := range maxLeaves {
		l.AppendEntry(LogEntry{SessionID: fmt.Sprintf("s-%d", i), Head: HashPayload([]byte{byte(i)}), State: Committed, Timestamp: int64(i)})
	}
	return l
}

func TestInclusionProofsUpTo32(t *testing.T) {
	l := testLog(t)
	for n := uint64(1); n <= maxLeaves; n++ {
		root := refRoot(l.leaves[:n])
		if got, _ := l.RootAt(n); got != root {
			t.Fatalf("RootAt(%d) disagrees with the reference", n)
		}
		if got := NewLogFromLeafHashes(l.leaves[:n]).Root(); got != root {
			t.Fatalf("Root() of %d leaves disagrees with the reference", n)
		}
		for i := uint64(0); i < n; i++ {
			leaf := l.leaves[i]
			p, err := l.InclusionProof(i, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(leaf, i, n, p, root); err != nil {
				t.Fatalf("leaf %d of %d: %v", i, n, err)
			}
			reject := func(what string, leaf Hash, i, n uint64, p []Hash, root Hash) {
				t.Helper()
				if err := VerifyInclusion(leaf, i, n, p, root); !errors.Is(err, ErrLogProof) {
					t.Fatalf("leaf %d of %d, %s: %v", i, n, what, err)
				}
			}
			for k := range p {
				reject(fmt.Sprintf("hash %d flipped", k), leaf, i, n, flipped(p, k), root)
			}
			if len(p) > 0 {
				reject("truncated", leaf, i, n, p[:len(p)-1], root)
			}
			reject("extended", leaf, i, n, append(append([]Hash(nil), p...), root), root)
			reject("other leaf", l.leaves[(i+1)%maxLeaves], i, n, p, root)
			reject("other root", leaf, i, n, p, refRoot(l.leaves[:n-1]))
			reject("index = size", leaf, n, n, p, root)
			if n > 1 {
				reject("other index", leaf, (i+1)%n, n, p, root)
			}
			if n < maxLeaves {
				// (The same root at size n+1 can verify: a tree head is
				// only meaningful with its size, which checkpoints sign.)
				reject("larger tree", leaf, i, n+1, p, refRoot(l.leaves[:n+1]))
			}
		}
	}
}

func TestConsistencyProofsUpTo32(t *testing.T) {
	l := testLog(t)
	for n := uint64(1); n <= maxLeaves; n++ {
		rn := refRoot(l.leaves[:n])
		for m := uint64(1); m <= n; m++ {
			rm := refRoot(l.leaves[:m])
			p, err := l.ConsistencyProof(m, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(m, n, rm, rn, p); err != nil {
				t.Fatalf("%d -> %d: %v", m, n, err)
			}
			reject := func(what string, m, n uint64, rm, rn Hash, p []Hash) {
				t.Helper()
				if err := VerifyConsistency(m, n, rm, rn, p); !errors.Is(err, ErrLogProof) {
					t.Fatalf("%s: %v", what, err)
				}
			}
			for k := range p {
				reject(fmt.Sprintf("%d -> %d: hash %d flipped", m, n, k), m, n, rm, rn, flipped(p, k))
			}
			if len(p) > 0 {
				reject(fmt.Sprintf("%d -> %d: truncated", m, n), m, n, rm, rn, p[:len(p)-1])
			}
			reject(fmt.Sprintf("%d -> %d: extended", m, n), m, n, rm, rn, append(append([]Hash(nil), p...), rn))
			if m < n {
				var other Hash
				other[0] = 1
				reject(fmt.Sprintf("%d -> %d: other first root", m, n), m, n, other, rn, p)
				reject(fmt.Sprintf("%d -> %d: other second root", m, n), m, n, rm, other, p)
				reject(fmt.Sprintf("%d -> %d: swapped roots", m, n), m, n, rn, rm, p)
				reject(fmt.Sprintf("%d -> %d: first size +1", m, n), m+1, n, refRoot(l.leaves[:m+1]), rn, p)
			}
			if m > 1 {
				reject(fmt.Sprintf("%d -> %d: first size -1", m, n), m-1, n, refRoot(l.leaves[:m-1]), rn, p)
			}
			// A log whose leaf m-1 was rewritten is not consistent with the old head.
			leaves := append([]Hash(nil), l.leaves[:n]...)
			leaves[m-1][0] ^= 1
			forged := NewLogFromLeafHashes(leaves)
			fp, _ := forged.ConsistencyProof(m, n)
			reject(fmt.Sprintf("%d -> %d: rewritten history", m, n), m, n, rm, forged.Root(), fp)
		}
	}
}

func TestLogRanges(t *testing.T) {
	l := testLog(t)
	if _, err := l.InclusionProof(5, 5); !errors.Is(err, ErrLogRange) {
		t.Error(err)
	}
	if _, err := l.InclusionProof(0, maxLeaves+1); !errors.Is(err, ErrLogRange) {
		t.Error(err)
	}
	for _, mn := range [][2]uint64{{0, 3}, {4, 3}, {1, maxLeaves + 1}} {
		if _, err := l.ConsistencyProof(mn[0], mn[1]); !errors.Is(err, ErrLogRange) {
			t.Errorf("ConsistencyProof%v: %v", mn, err)
		}
	}
	if _, err := l.RootAt(maxLeaves + 1); !errors.Is(err, ErrLogRange) {
		t.Error(err)
	}
	if _, err := l.LeafHashAt(maxLeaves); !errors.Is(err, ErrLogRange) {
		t.Error(err)
	}
	if err := VerifyConsistency(0, 3, Hash{}, Hash{}, nil); !errors.Is(err, ErrLogProof) {
		t.Error(err)
	}
	if err := VerifyConsistency(2, 2, Hash{1}, Hash{1}, []Hash{{}}); !errors.Is(err, ErrLogProof) {
		t.Error(err)
	}
	if err := VerifyConsistency(2, 2, Hash{1}, Hash{2}, nil); !errors.Is(err, ErrLogProof) {
		t.Error(err)
	}
	if err := VerifyConsistency(2, 3, Hash{1}, Hash{2}, nil); !errors.Is(err, ErrLogProof) {
		t.Error(err)
	}
}

func TestLogEntryEncoding(t *testing.T) {
	s := fullSession(t)
	e := EntryFor(s, at(9))
	if e.Head != s.Head() || e.State != Committed || e.SessionID != "sess-1" {
		t.Fatalf("%+v", e)
	}
	b := e.Encode()
	back, err := DecodeLogEntry(b)
	if err != nil || back != e {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for cut := range b {
		if _, err := DecodeLogEntry(b[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d: %v", cut, err)
		}
	}
	for i := range b {
		f := append([]byte(nil), b...)
		f[i] ^= 1
		if d, err := DecodeLogEntry(f); err == nil && d == e {
			t.Fatalf("flip %d decodes to the same entry", i)
		}
	}
}
