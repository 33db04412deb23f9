package pci

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestSealVerifyRoundTrip(t *testing.T) {
	key := testKey("a")
	payload := testCard()
	env := sealAt(t, key, payload, time.Minute, testNow, &countingReader{})
	if !bytes.Equal(env.Payload, payload) {
		t.Fatal("payload not kept byte for byte")
	}
	if env.Version != Version || len(env.Nonce) != NonceSize || env.TtlSeconds != 60 {
		t.Fatalf("unexpected header %v", env)
	}
	if !bytes.Equal(env.SignerPublicKey, key.Public().(ed25519PublicKey)) {
		t.Fatal("signer key is not the sealing key")
	}
	v := newTestVerifier(t, nil)
	wantCode(t, v.Verify(env, testNow), "")

	// Through the wire: marshal, Open.
	wire, err := proto.Marshal(clone(env))
	if err != nil {
		t.Fatal(err)
	}
	v2 := newTestVerifier(t, nil)
	got, err := v2.Open(wire, testNow.Add(time.Second))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !proto.Equal(got, env) {
		t.Fatal("Open returned a different envelope")
	}
}

func TestSealRejectsBadInput(t *testing.T) {
	key := testKey("a")
	p := testCard()
	ok := func(k []byte, at messages.AgentType, pt string, ih, snr float64, ttl time.Duration) error {
		_, err := Seal(k, at, pt, p, ih, snr, ttl, testNow, &countingReader{})
		return err
	}
	U := messages.AgentType_AGENT_TYPE_USER
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"short key", ok(key[:10], U, "t", 1, 1, time.Second), ErrInvalidKey},
		{"unspecified agent", ok(key, messages.AgentType_AGENT_TYPE_UNSPECIFIED, "t", 1, 1, time.Second), ErrInvalidInput},
		{"empty type", ok(key, U, "", 1, 1, time.Second), ErrInvalidInput},
		{"nan ihsan", ok(key, U, "t", math.NaN(), 1, time.Second), ErrInvalidInput},
		{"snr > 1", ok(key, U, "t", 1, 1.5, time.Second), ErrInvalidInput},
		{"ttl 0", ok(key, U, "t", 1, 1, 0), ErrInvalidInput},
		{"fractional ttl", ok(key, U, "t", 1, 1, 1500*time.Millisecond), ErrInvalidInput},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
	if err := ok(key, messages.AgentType_AGENT_TYPE_SOVEREIGN, "t", 0, 0, time.Hour); err != nil {
		t.Errorf("valid input refused: %v", err)
	}
}

// Each reject code, in the blueprint's order: an envelope with several
// faults gets the earliest code.
func TestRejectCodes(t *testing.T) {
	key := testKey("a")
	p := testCard()
	base := sealAt(t, key, p, time.Minute, testNow, &countingReader{})
	resign := func(e *messages.Envelope) *messages.Envelope {
		m := SignedMessage(e)
		e.Signature = ed25519Sign(key, m[:])
		return e
	}
	cases := []struct {
		name string
		mut  func(*messages.Envelope) *messages.Envelope
		at   time.Time
		code string
	}{
		{"valid", func(e *messages.Envelope) *messages.Envelope { return e }, testNow, ""},
		{"nil", func(*messages.Envelope) *messages.Envelope { return nil }, testNow, CodeMalformedEnvelope},
		{"version 2", func(e *messages.Envelope) *messages.Envelope { e.Version = 2; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"version 0", func(e *messages.Envelope) *messages.Envelope { e.Version = 0; return e }, testNow, CodeMalformedEnvelope},
		{"agent unspecified", func(e *messages.Envelope) *messages.Envelope { e.AgentType = 0; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"agent unknown", func(e *messages.Envelope) *messages.Envelope { e.AgentType = 9; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"no payload type", func(e *messages.Envelope) *messages.Envelope { e.PayloadType = ""; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"key 31 bytes", func(e *messages.Envelope) *messages.Envelope { e.SignerPublicKey = e.SignerPublicKey[:31]; return e }, testNow, CodeMalformedEnvelope},
		{"no key", func(e *messages.Envelope) *messages.Envelope { e.SignerPublicKey = nil; return e }, testNow, CodeMalformedEnvelope},
		{"sig 63 bytes", func(e *messages.Envelope) *messages.Envelope { e.Signature = e.Signature[:63]; return e }, testNow, CodeMalformedEnvelope},
		{"sig 65 bytes", func(e *messages.Envelope) *messages.Envelope { e.Signature = append(e.Signature, 0); return e }, testNow, CodeMalformedEnvelope},
		{"no timestamp", func(e *messages.Envelope) *messages.Envelope { e.Timestamp = nil; return e }, testNow, CodeMalformedEnvelope},
		{"bad nanos", func(e *messages.Envelope) *messages.Envelope { e.Timestamp.Nanos = 1e9; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"ttl 0", func(e *messages.Envelope) *messages.Envelope { e.TtlSeconds = 0; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"ttl over max", func(e *messages.Envelope) *messages.Envelope { e.TtlSeconds = 601; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"no nonce", func(e *messages.Envelope) *messages.Envelope { e.Nonce = nil; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"nonce 15", func(e *messages.Envelope) *messages.Envelope { e.Nonce = e.Nonce[:15]; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"ihsan NaN", func(e *messages.Envelope) *messages.Envelope { e.IhsanScore = math.NaN(); return resign(e) }, testNow, CodeMalformedEnvelope},
		{"ihsan -0.1", func(e *messages.Envelope) *messages.Envelope { e.IhsanScore = -0.1; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"snr +Inf", func(e *messages.Envelope) *messages.Envelope { e.SnrScore = math.Inf(1); return resign(e) }, testNow, CodeMalformedEnvelope},
		{"snr 1.01", func(e *messages.Envelope) *messages.Envelope { e.SnrScore = 1.01; return resign(e) }, testNow, CodeMalformedEnvelope},
		{"malformed beats expired", func(e *messages.Envelope) *messages.Envelope { e.Nonce = nil; return e }, testNow.Add(time.Hour), CodeMalformedEnvelope},
		{"expired", func(e *messages.Envelope) *messages.Envelope { return e }, testNow.Add(time.Hour), CodeTTLExpired},
		{"expired beats bad signature", func(e *messages.Envelope) *messages.Envelope { e.Signature[0] ^= 1; return e }, testNow.Add(time.Hour), CodeTTLExpired},
		{"bad signature", func(e *messages.Envelope) *messages.Envelope { e.Signature[0] ^= 1; return e }, testNow, CodeInvalidSignature},
		{"bad signature beats low ihsan", func(e *messages.Envelope) *messages.Envelope { e.IhsanScore = 0.5; return e }, testNow, CodeInvalidSignature},
		{"low ihsan", func(e *messages.Envelope) *messages.Envelope { e.IhsanScore = 0.94; return resign(e) }, testNow, CodeIhsanBelowThreshold},
		{"ihsan at threshold", func(e *messages.Envelope) *messages.Envelope { e.IhsanScore = 0.95; return resign(e) }, testNow, ""},
		{"low ihsan beats low snr", func(e *messages.Envelope) *messages.Envelope { e.IhsanScore = 0.1; e.SnrScore = 0.1; return resign(e) }, testNow, CodeIhsanBelowThreshold},
		{"low snr claimed", func(e *messages.Envelope) *messages.Envelope { e.SnrScore = 0.84; return resign(e) }, testNow, CodeSNRBelowThreshold},
		{"snr at threshold", func(e *messages.Envelope) *messages.Envelope { e.SnrScore = 0.85; return resign(e) }, testNow, ""},
		{"low snr measured", func(e *messages.Envelope) *messages.Envelope {
			e.Payload = make([]byte, 4096)
			e.SnrScore = 1
			return resign(e)
		}, testNow, CodeSNRBelowThreshold},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newTestVerifier(t, nil)
			wantCode(t, v.Verify(c.mut(clone(base)), c.at), c.code)
		})
	}
}

func TestMeasureSNROff(t *testing.T) {
	key := testKey("a")
	env, err := Seal(key, messages.AgentType_AGENT_TYPE_MODEL, "raw", make([]byte, 4096), 1, 1, time.Minute, testNow, &countingReader{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, newTestVerifier(t, nil).Verify(env, testNow), CodeSNRBelowThreshold)
	wantCode(t, newTestVerifier(t, func(c *Config) { c.MeasureSNR = false }).Verify(env, testNow), "")
}

// Changing any signed byte of a sealed envelope makes it fail; the code is
// R002 unless the change also breaks a structural rule (R005).
func TestFlipEveryByte(t *testing.T) {
	key := testKey("flip")
	base := sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{})
	v := newTestVerifier(t, nil)
	check := func(name string, i int, e *messages.Envelope, code string) {
		t.Helper()
		err := v.Verify(e, testNow)
		if Code(err) != code {
			t.Fatalf("%s byte %d: got %v, want %s", name, i, err, code)
		}
	}
	fields := []struct {
		name string
		get  func(*messages.Envelope) []byte
	}{
		{"payload", func(e *messages.Envelope) []byte { return e.Payload }},
		{"signature", func(e *messages.Envelope) []byte { return e.Signature }},
		{"signer key", func(e *messages.Envelope) []byte { return e.SignerPublicKey }},
		{"nonce", func(e *messages.Envelope) []byte { return e.Nonce }},
	}
	for _, f := range fields {
		for i := range f.get(base) {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				e := clone(base)
				f.get(e)[i] ^= mask
				check(f.name, i, e, CodeInvalidSignature)
			}
		}
	}
	for i := range len(base.PayloadType) {
		e := clone(base)
		b := []byte(e.PayloadType)
		b[i] ^= 0x20
		e.PayloadType = string(b)
		check("payload type", i, e, CodeInvalidSignature)
	}
	for _, at := range []messages.AgentType{messages.AgentType_AGENT_TYPE_MODEL, messages.AgentType_AGENT_TYPE_SOVEREIGN} {
		e := clone(base)
		e.AgentType = at
		check("agent type", int(at), e, CodeInvalidSignature)
	}
	for bit := range 64 {
		for _, which := range []string{"ihsan", "snr"} {
			e := clone(base)
			f := &e.IhsanScore
			if which == "snr" {
				f = &e.SnrScore
			}
			*f = math.Float64frombits(math.Float64bits(*f) ^ 1<<bit)
			want := CodeInvalidSignature
			if math.IsNaN(*f) || *f < 0 || *f > 1 {
				want = CodeMalformedEnvelope
			}
			check(which, bit, e, want)
		}
	}
	for _, d := range []int64{-1, 1} {
		e := clone(base)
		e.Timestamp.Seconds += d
		check("timestamp seconds", int(d), e, CodeInvalidSignature)
		e = clone(base)
		e.Timestamp.Nanos += int32(d)
		check("timestamp nanos", int(d), e, CodeInvalidSignature)
		e = clone(base)
		e.TtlSeconds = uint32(int64(e.TtlSeconds) + d)
		check("ttl", int(d), e, CodeInvalidSignature)
	}
	// Nothing above was accepted, so the replay cache stayed empty.
	if n := v.ReplayCacheLen(); n != 0 {
		t.Fatalf("replay cache holds %d entries after rejections", n)
	}
}

// Any single-byte change of the encoded envelope is never accepted.
func TestFlipWireBytes(t *testing.T) {
	key := testKey("wire")
	base := sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{})
	wire, err := proto.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	v := newTestVerifier(t, nil)
	for i := range wire {
		for _, mask := range []byte{0x01, 0x80} {
			mut := bytes.Clone(wire)
			mut[i] ^= mask
			env, err := v.Open(mut, testNow)
			if err == nil {
				// A flip that decodes to the same field values (e.g. a
				// varint's redundant encoding) would be the same envelope.
				t.Fatalf("flip of wire byte %d (mask %#x) accepted: %v", i, mask, env)
			}
			if Code(err) == "" {
				t.Fatalf("byte %d: error without reject code: %v", i, err)
			}
		}
	}
}

func TestReplay(t *testing.T) {
	key := testKey("replay")
	env := sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{})
	v := newTestVerifier(t, nil)
	wantCode(t, v.Verify(env, testNow), "")
	err := v.Verify(clone(env), testNow.Add(59*time.Second))
	wantCode(t, err, CodeTTLExpired)
	if !errors.Is(err, ErrReplay) {
		t.Fatalf("replay not marked ErrReplay: %v", err)
	}
	// After expiry it is R001 for the ordinary reason, not a replay.
	err = v.Verify(clone(env), testNow.Add(60*time.Second))
	wantCode(t, err, CodeTTLExpired)
	if errors.Is(err, ErrReplay) {
		t.Fatalf("expired envelope reported as replay: %v", err)
	}
	// Same nonce from another signer is not a replay.
	other := clone(env)
	other.SignerPublicKey = testKey("replay2").Public().(ed25519PublicKey)
	m := SignedMessage(other)
	other.Signature = ed25519Sign(testKey("replay2"), m[:])
	wantCode(t, v.Verify(other, testNow.Add(time.Second)), "")
	// A fresh nonce from the same signer is accepted.
	wantCode(t, v.Verify(sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{n: 100}), testNow), "")
}

func TestReplayRejectedEnvelopeNotRecorded(t *testing.T) {
	key := testKey("r")
	env := sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{})
	bad := clone(env)
	bad.Signature[5] ^= 4
	v := newTestVerifier(t, nil)
	wantCode(t, v.Verify(bad, testNow), CodeInvalidSignature)
	// A forgery with a stolen nonce must not block the genuine envelope.
	wantCode(t, v.Verify(env, testNow), "")
}

func TestClockSkew(t *testing.T) {
	key := testKey("skew")
	v := newTestVerifier(t, nil)
	rnd := &countingReader{}
	// Timestamp exactly ClockSkew ahead: accepted.
	wantCode(t, v.Verify(sealAt(t, key, testCard(), time.Minute, testNow.Add(30*time.Second), rnd), testNow), "")
	// One nanosecond more: R001 with ErrFutureTimestamp.
	err := v.Verify(sealAt(t, key, testCard(), time.Minute, testNow.Add(30*time.Second+time.Nanosecond), rnd), testNow)
	wantCode(t, err, CodeTTLExpired)
	if !errors.Is(err, ErrFutureTimestamp) {
		t.Fatalf("want ErrFutureTimestamp, got %v", err)
	}
	// Far future.
	wantCode(t, v.Verify(sealAt(t, key, testCard(), time.Minute, testNow.Add(24*time.Hour), rnd), testNow), CodeTTLExpired)
	// In the past but inside its TTL: accepted; the skew does not extend TTL.
	wantCode(t, v.Verify(sealAt(t, key, testCard(), time.Minute, testNow.Add(-59*time.Second), rnd), testNow), "")
	err = v.Verify(sealAt(t, key, testCard(), time.Minute, testNow.Add(-61*time.Second), rnd), testNow)
	wantCode(t, err, CodeTTLExpired)
	if errors.Is(err, ErrFutureTimestamp) {
		t.Fatal("past envelope marked future")
	}
	// A zero skew accepts only timestamps at or before now.
	v0 := newTestVerifier(t, func(c *Config) { c.ClockSkew = 0 })
	wantCode(t, v0.Verify(sealAt(t, key, testCard(), time.Minute, testNow, rnd), testNow), "")
	wantCode(t, v0.Verify(sealAt(t, key, testCard(), time.Minute, testNow.Add(time.Nanosecond), rnd), testNow), CodeTTLExpired)
}

func TestTTLBoundary(t *testing.T) {
	key := testKey("ttl")
	env := sealAt(t, key, testCard(), 10*time.Second, testNow, &countingReader{})
	exp := testNow.Add(10 * time.Second)
	wantCode(t, newTestVerifier(t, nil).Verify(clone(env), exp.Add(-time.Nanosecond)), "")
	wantCode(t, newTestVerifier(t, nil).Verify(clone(env), exp), CodeTTLExpired)
	wantCode(t, newTestVerifier(t, nil).Verify(clone(env), exp.Add(time.Nanosecond)), CodeTTLExpired)
	// MaxTTL itself is accepted.
	long := sealAt(t, key, testCard(), DefaultMaxTTL, testNow, &countingReader{n: 50})
	wantCode(t, newTestVerifier(t, nil).Verify(long, testNow), "")
}

func TestTrustPolicy(t *testing.T) {
	a, b := testKey("a"), testKey("b")
	pa := a.Public().(ed25519PublicKey)
	v := newTestVerifier(t, func(c *Config) { c.Trust = Allowlist(pa) })
	wantCode(t, v.Verify(sealAt(t, a, testCard(), time.Minute, testNow, &countingReader{}), testNow), "")
	err := v.Verify(sealAt(t, b, testCard(), time.Minute, testNow, &countingReader{}), testNow)
	wantCode(t, err, CodeInvalidSignature)
	if !errors.Is(err, ErrUntrustedSigner) {
		t.Fatalf("want ErrUntrustedSigner, got %v", err)
	}
	if !AnySigner().Allowed(b.Public().(ed25519PublicKey)) || AnySigner().IsAllowlist() {
		t.Fatal("AnySigner refuses a key")
	}
	if Allowlist().Allowed(pa) {
		t.Fatal("empty allowlist allows a key")
	}
	if AnySigner().Allowed(pa[:31]) {
		t.Fatal("short key allowed")
	}
}

func TestOpenGarbage(t *testing.T) {
	v := newTestVerifier(t, nil)
	for _, b := range [][]byte{nil, {0xff}, {0x0a, 0x05, 1}, []byte("not a protobuf at all")} {
		_, err := v.Open(b, testNow)
		wantCode(t, err, CodeMalformedEnvelope)
	}
}

func TestVerifyBatchMatchesVerify(t *testing.T) {
	key := testKey("batch")
	rnd := &countingReader{}
	var envs []*messages.Envelope
	want := map[int]string{}
	for i := range 70 {
		e := sealAt(t, key, testCard(), time.Minute, testNow, rnd)
		switch i {
		case 3:
			e.Signature[10] ^= 1
			want[i] = CodeInvalidSignature
		case 17:
			e.Payload[0] ^= 1
			want[i] = CodeInvalidSignature
		case 20:
			e.Nonce = nil
			want[i] = CodeMalformedEnvelope
		case 33:
			e = sealAt(t, key, testCard(), time.Minute, testNow.Add(-2*time.Minute), rnd)
			want[i] = CodeTTLExpired
		case 40:
			e, _ = Seal(key, messages.AgentType_AGENT_TYPE_USER, "t", testCard(), 0.5, 0.9, time.Minute, testNow, rnd)
			want[i] = CodeIhsanBelowThreshold
		case 41:
			e = clone(envs[0]) // duplicate of an earlier accepted one
			want[i] = CodeTTLExpired
		case 55:
			e.Signature = nil
			want[i] = CodeMalformedEnvelope
		}
		envs = append(envs, e)
	}
	vb := newTestVerifier(t, nil)
	batch := vb.VerifyBatch(envs, testNow)
	vs := newTestVerifier(t, nil)
	for i, e := range envs {
		single := vs.Verify(e, testNow)
		if Code(batch[i]) != Code(single) || Code(batch[i]) != want[i] {
			t.Fatalf("envelope %d: batch %v, single %v, want %q", i, batch[i], single, want[i])
		}
	}
	if !errors.Is(batch[41], ErrReplay) {
		t.Fatalf("duplicate in batch: %v", batch[41])
	}
	// Re-submitting the whole batch: every accepted one is now a replay.
	for i, err := range vb.VerifyBatch(envs, testNow) {
		if want[i] == "" && !errors.Is(err, ErrReplay) {
			t.Fatalf("envelope %d re-sent: %v", i, err)
		}
	}
	if len(vb.VerifyBatch(nil, testNow)) != 0 {
		t.Fatal("empty batch")
	}
}

func TestConcurrentVerify(t *testing.T) {
	key := testKey("conc")
	rnd := &countingReader{}
	envs := make([]*messages.Envelope, 64)
	for i := range envs {
		envs[i] = sealAt(t, key, testCard(), time.Minute, testNow, rnd)
	}
	v := newTestVerifier(t, nil)
	results := make(chan error, 4*len(envs))
	for range 4 {
		go func() {
			for _, e := range envs {
				results <- v.Verify(e, testNow)
			}
		}()
	}
	accepted := 0
	for range 4 * len(envs) {
		err := <-results
		switch {
		case err == nil:
			accepted++
		case !errors.Is(err, ErrReplay):
			t.Fatalf("unexpected %v", err)
		}
	}
	if accepted != len(envs) {
		t.Fatalf("accepted %d, want exactly %d (each once)", accepted, len(envs))
	}
}

func TestExpiryTimestampExtremes(t *testing.T) {
	key := testKey("x")
	env := sealAt(t, key, testCard(), time.Minute, testNow, &countingReader{})
	env.Timestamp = &timestamppb.Timestamp{Seconds: 253402300799} // 9999-12-31
	m := SignedMessage(env)
	env.Signature = ed25519Sign(key, m[:])
	wantCode(t, newTestVerifier(t, nil).Verify(env, testNow), CodeTTLExpired)
	env.Timestamp = &timestamppb.Timestamp{Seconds: -62135596800} // 0001-01-01
	m = SignedMessage(env)
	env.Signature = ed25519Sign(key, m[:])
	wantCode(t, newTestVerifier(t, nil).Verify(env, testNow), CodeTTLExpired)
}
