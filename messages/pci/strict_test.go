package pci

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// The eight points of small order, canonically encoded.
var smallOrderEncodings = []string{
	"0100000000000000000000000000000000000000000000000000000000000000", // identity
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
	"0000000000000000000000000000000000000000000000000000000000000000", // order 4
	"0000000000000000000000000000000000000000000000000000000000000080", // order 4
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
}

// groupOrder is L = 2^252 + 27742317777372353535851937790883648493.
var groupOrder, _ = new(big.Int).SetString("7237005577332262213973186563042994961265338557851697640155300479186400694669", 10)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodePoint(t testing.TB, enc []byte) (*curve.EdwardsPoint, bool) {
	t.Helper()
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(enc); err != nil {
		t.Fatal(err)
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return nil, false
	}
	return &p, true
}

func randScalar(t testing.TB) *scalar.Scalar {
	var b [64]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	s, err := scalar.NewFromBytesModOrderWide(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func scalarBytes(t testing.TB, s *scalar.Scalar) []byte {
	var b [32]byte
	if err := s.ToBytes(b[:]); err != nil {
		t.Fatal(err)
	}
	return b[:]
}

func compress(p *curve.EdwardsPoint) []byte {
	var c curve.CompressedEdwardsY
	c.SetEdwardsPoint(p)
	return c[:]
}

// challenge returns k = SHA-512(R || A || msg) mod L.
func challenge(t testing.TB, r, a, msg []byte) *scalar.Scalar {
	h := sha512.New()
	h.Write(r)
	h.Write(a)
	h.Write(msg)
	k, err := scalar.NewFromBytesModOrderWide(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealWithSigner builds an envelope signed by an arbitrary function of
// (public key bytes, signed message).
func sealWithSigner(t testing.TB, pub []byte, sign func(msg []byte) []byte) *messages.Envelope {
	t.Helper()
	env := sealAt(t, testKey("template"), testCard(), time.Minute, testNow, &countingReader{})
	env.SignerPublicKey = pub
	m := SignedMessage(env)
	env.Signature = sign(m[:])
	return env
}

// verifyBoth checks an envelope alone and inside a batch of valid ones and
// returns the code; it fails the test if the two disagree.
func verifyBoth(t *testing.T, env *messages.Envelope) string {
	t.Helper()
	single := Code(newTestVerifier(t, nil).Verify(clone(env), testNow))
	batch := []*messages.Envelope{clone(env)}
	rnd := &countingReader{n: 1 << 40}
	for range 5 {
		batch = append(batch, sealAt(t, testKey("filler"), testCard(), time.Minute, testNow, rnd))
	}
	errs := newTestVerifier(t, nil).VerifyBatch(batch, testNow)
	if Code(errs[0]) != single {
		t.Fatalf("batch %v disagrees with single %q", errs[0], single)
	}
	for i, err := range errs[1:] {
		if err != nil {
			t.Fatalf("valid filler %d rejected: %v", i+1, err)
		}
	}
	return single
}

func TestSmallOrderKeysRejected(t *testing.T) {
	for i, h := range smallOrderEncodings {
		pub := mustHex(t, h)
		p, ok := decodePoint(t, pub)
		if !ok {
			t.Fatalf("%d: small-order encoding does not decode", i)
		}
		var p8 curve.EdwardsPoint
		if !p8.MulByCofactor(p).IsIdentity() {
			t.Fatalf("%d: [8]P is not the identity; not a small-order point", i)
		}
		if ValidPublicKey(pub) {
			t.Errorf("%d: small-order key accepted as valid", i)
		}
		// With a small-order A, R = rB and S = r satisfy the cofactored
		// equation for every message: a universal forgery.
		r := randScalar(t)
		var R curve.EdwardsPoint
		R.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, r)
		forge := func([]byte) []byte { return append(compress(&R), scalarBytes(t, r)...) }
		env := sealWithSigner(t, pub, forge)
		m := SignedMessage(env)
		zip215 := &voi.Options{Verify: voi.VerifyOptionsZIP_215}
		if !voi.VerifyWithOptions(voi.PublicKey(pub), m[:], env.Signature, zip215) {
			t.Fatalf("%d: forgery does not even pass ZIP-215; the test vector is wrong", i)
		}
		if got := verifyBoth(t, env); got != CodeInvalidSignature {
			t.Errorf("%d: small-order key forgery: got %q, want R002", i, got)
		}
	}
}

func TestNonCanonicalEncodings(t *testing.T) {
	// y + p for y in 0..18 fits in 255 bits: the only non-canonical
	// y encodings. Try both sign bits.
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	found := 0
	for y := int64(0); y < 19; y++ {
		v := new(big.Int).Add(p, big.NewInt(y))
		be := v.FillBytes(make([]byte, 32))
		le := make([]byte, 32)
		for i := range be {
			le[i] = be[31-i]
		}
		for _, sign := range []byte{0, 0x80} {
			enc := append([]byte(nil), le...)
			enc[31] |= sign
			if _, ok := decodePoint(t, enc); !ok {
				continue
			}
			found++
			if ValidPublicKey(enc) {
				t.Errorf("non-canonical key %x accepted", enc)
			}
			pt, _ := decodePoint(t, enc)
			if !pt.IsSmallOrder() {
				continue
			}
			// Small order: the R = rB, S = r forgery passes ZIP-215.
			r := randScalar(t)
			var R curve.EdwardsPoint
			R.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, r)
			env := sealWithSigner(t, enc, func([]byte) []byte { return append(compress(&R), scalarBytes(t, r)...) })
			m := SignedMessage(env)
			if !voi.VerifyWithOptions(voi.PublicKey(enc), m[:], env.Signature, &voi.Options{Verify: voi.VerifyOptionsZIP_215}) {
				t.Fatalf("A=%x: forgery does not pass ZIP-215", enc)
			}
			if got := verifyBoth(t, env); got != CodeInvalidSignature {
				t.Errorf("non-canonical A=%x: got %q, want R002", enc, got)
			}
		}
	}
	if found == 0 {
		t.Fatal("no non-canonical encoding decoded; the generator is wrong")
	}

	// Non-canonical R: the identity encoded as y = 1 + p. With a normal
	// key a and S = k*a, [8]SB = [8]R + [8]kA holds, so ZIP-215 accepts.
	key := testKey("nc")
	a := secretScalar(t, key)
	pub := []byte(key.Public().(ed25519.PublicKey))
	for _, rEnc := range []string{
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // identity, non-canonical
		"0100000000000000000000000000000000000000000000000000000000000000", // identity, canonical (small-order R)
	} {
		rb := mustHex(t, rEnc)
		sign := func(msg []byte) []byte {
			k := challenge(t, rb, pub, msg)
			var s scalar.Scalar
			s.Mul(k, a)
			return append(append([]byte(nil), rb...), scalarBytes(t, &s)...)
		}
		env := sealWithSigner(t, pub, sign)
		m := SignedMessage(env)
		if !voi.VerifyWithOptions(voi.PublicKey(pub), m[:], env.Signature, &voi.Options{Verify: voi.VerifyOptionsZIP_215}) {
			t.Fatalf("R=%s: vector does not pass ZIP-215; the construction is wrong", rEnc)
		}
		if got := verifyBoth(t, env); got != CodeInvalidSignature {
			t.Errorf("R=%s: got %q, want R002", rEnc, got)
		}
	}
}

// secretScalar returns the Ed25519 secret scalar of key (RFC 8032 5.1.5).
func secretScalar(t testing.TB, key ed25519.PrivateKey) *scalar.Scalar {
	h := sha512.Sum512(key.Seed())
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	s, err := scalar.NewFromBits(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignatureScalarNotReduced(t *testing.T) {
	key := testKey("s")
	env := sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{})
	if verifyBoth(t, env) != "" {
		t.Fatal("valid envelope rejected")
	}
	// S + L and S + 2L, same value mod L.
	sLE := env.Signature[32:]
	sBE := make([]byte, 32)
	for i := range sLE {
		sBE[i] = sLE[31-i]
	}
	for mult := int64(1); mult <= 2; mult++ {
		s := new(big.Int).SetBytes(sBE)
		s.Add(s, new(big.Int).Mul(groupOrder, big.NewInt(mult)))
		be := s.FillBytes(make([]byte, 32))
		e := clone(env)
		for i := range be {
			e.Signature[32+i] = be[31-i]
		}
		if got := verifyBoth(t, e); got != CodeInvalidSignature {
			t.Errorf("S + %dL: got %q, want R002", mult, got)
		}
	}
}

// A mixed-order key (aB + T, T of order 8) is a valid key; its signatures
// satisfy the cofactored equation but not the cofactorless one, so the
// stdlib refuses them. Single and batch verification here accept them
// alike.
func TestMixedOrderKey(t *testing.T) {
	a := randScalar(t)
	var A curve.EdwardsPoint
	A.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, a)
	A.Add(&A, curve.EIGHT_TORSION[1])
	pub := compress(&A)
	if !ValidPublicKey(pub) {
		t.Fatal("mixed-order key refused")
	}
	if A.IsTorsionFree() {
		t.Fatal("key is torsion free; not mixed order")
	}
	var env *messages.Envelope
	for attempt := 0; ; attempt++ {
		r := randScalar(t)
		var R curve.EdwardsPoint
		R.MulBasepoint(curve.ED25519_BASEPOINT_TABLE, r)
		rb := compress(&R)
		env = sealWithSigner(t, pub, func(msg []byte) []byte {
			k := challenge(t, rb, pub, msg)
			var s scalar.Scalar
			s.Mul(k, a)
			s.Add(&s, r)
			return append(rb, scalarBytes(t, &s)...)
		})
		m := SignedMessage(env)
		if !ed25519.Verify(pub, m[:], env.Signature) {
			break // k is not a multiple of 8: the cofactorless check fails
		}
		if attempt > 20 {
			t.Fatal("could not build a vector the stdlib rejects")
		}
	}
	if got := verifyBoth(t, env); got != "" {
		t.Fatalf("mixed-order key signature: got %q, want accepted", got)
	}
}

type speccheckCase struct {
	Message   string `json:"message"`
	PublicKey string `json:"pub_key"`
	Signature string `json:"signature"`
}

// The twelve cases of "Taming the many EdDSAs" (Chalkias, Garillot,
// Nikolaenko), novifinancial/ed25519-speccheck cases.json.
func TestSpeccheckVectors(t *testing.T) {
	want := []bool{
		false, // 0: small order A, small order R
		false, // 1: small order A, mixed order R
		false, // 2: mixed order A, small order R (small-order R rejected)
		true,  // 3: mixed order A, mixed order R
		true,  // 4: needs the cofactored equation
		true,  // 5: cofactored equation computing 8(hA)
		false, // 6: S > L
		false, // 7: S >> L
		false, // 8: non-canonical small order R
		false, // 9: non-canonical small order R
		false, // 10: non-canonical small order A
		false, // 11: non-canonical small order A
	}
	data, err := os.ReadFile("testdata/speccheck_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []speccheckCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d", len(cases), len(want))
	}
	bv := voi.NewBatchVerifier()
	for i, c := range cases {
		msg, pub, sig := mustHex(t, c.Message), mustHex(t, c.PublicKey), mustHex(t, c.Signature)
		if got := VerifySignature(pub, msg, sig); got != want[i] {
			t.Errorf("case %d: VerifySignature = %v, want %v", i, got, want[i])
		}
		bv.AddWithOptions(voi.PublicKey(pub), msg, sig, strictVerify)
	}
	_, valid := bv.Verify(nil)
	for i := range cases {
		if valid[i] != want[i] {
			t.Errorf("case %d: batch = %v, want %v", i, valid[i], want[i])
		}
	}
}
