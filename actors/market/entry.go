package market

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/bizra/bizra/messages/pci"
	"github.com/zeebo/blake3"
)

// EntryKind says what a ledger entry records.
type EntryKind string

// Entry kinds. Only KindIssue creates credits; every other kind moves
// them (or moves none and records a license event).
const (
	// KindIssue creates Amount credits in To, by the issuance rule named in
	// Ref ("genesis" or "epoch:<n>"). From is empty.
	KindIssue EntryKind = "issue"
	// KindTransfer moves Amount from From to To.
	KindTransfer EntryKind = "transfer"
	// KindTax moves Amount of Harberger tax on license Ref from its holder
	// to the pool.
	KindTax EntryKind = "tax"
	// KindDividend moves Amount from the pool to a license holder (the
	// epoch dividend, Ref "epoch:<n>").
	KindDividend EntryKind = "dividend"
	// KindPurchase moves the price of license Ref from the buyer (From) to
	// the seller (To: the holder, or the pool); From becomes the holder at
	// declared value Value.
	KindPurchase EntryKind = "purchase"
	// KindCharge moves the cost of a call (task Ref) from From to the pool.
	KindCharge EntryKind = "charge"
	// KindLicense creates license Ref held by To ("" for the market) at
	// Value. Amount is 0.
	KindLicense EntryKind = "license"
	// KindAssess records the holder (From) re-declaring license Ref at
	// Value. Amount is 0.
	KindAssess EntryKind = "assess"
	// KindForeclose records license Ref leaving a holder (From) who could
	// not pay its tax; the market holds it at Value. Amount is 0.
	KindForeclose EntryKind = "foreclose"
)

// PoolAccount is the market's own account: tax and call charges go in,
// dividends come out. It is not an identity: it holds no license and is
// left out of the Gini distribution.
const PoolAccount = "market:pool"

// Posting is one movement of a transaction before the ledger numbers,
// links and signs it.
type Posting struct {
	Kind   EntryKind
	From   string
	To     string
	Amount Micro
	Ref    string
	Value  Micro
}

// Hash is a BLAKE3 digest.
type Hash [32]byte

// String is the hex encoding.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes hex.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("market: hash %q is not 64 hex digits", b)
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// Entry is one ledger entry: append-only, numbered from 1, linked to the
// previous entry by its hash and signed by the node key.
//
// Hash is BLAKE3 (derive_key mode, context "bizra/market/v1 ledger
// entry") of the canonical encoding of every other field but Sig (see
// CanonicalBytes); Sig is the Ed25519 signature of Hash by the key whose
// id is Signer.
type Entry struct {
	Seq    uint64    `json:"seq"`
	Kind   EntryKind `json:"kind"`
	From   string    `json:"from,omitempty"`
	To     string    `json:"to,omitempty"`
	Amount Micro     `json:"amount"`
	Ref    string    `json:"ref,omitempty"`
	Value  Micro     `json:"value,omitempty"`
	Time   time.Time `json:"time"`
	Prev   Hash      `json:"prev"`
	Hash   Hash      `json:"hash"`
	Signer string    `json:"signer"`
	Sig    []byte    `json:"sig"`
}

const entryContext = "bizra/market/v1 ledger entry"

// CanonicalBytes is the encoding Hash covers: integers big-endian,
// strings u32-length-prefixed, in the order seq, kind, from, to, amount,
// ref, value, time (unix ns), prev, signer.
func (e *Entry) CanonicalBytes() []byte {
	b := make([]byte, 0, 160+len(e.From)+len(e.To)+len(e.Ref)+len(e.Signer))
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	str(string(e.Kind))
	str(e.From)
	str(e.To)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Amount))
	str(e.Ref)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Value))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	b = append(b, e.Prev[:]...)
	str(e.Signer)
	return b
}

// Digest computes the entry's hash from its fields.
func (e *Entry) Digest() Hash {
	var h Hash
	d := blake3.NewDeriveKey(entryContext)
	_, _ = d.Write(e.CanonicalBytes())
	copy(h[:], d.Sum(nil))
	return h
}

// sign sets Signer, Hash and Sig.
func (e *Entry) sign(key ed25519.PrivateKey, signer string) {
	e.Signer = signer
	e.Hash = e.Digest()
	e.Sig = ed25519.Sign(key, e.Hash[:])
}

// Verify checks the entry's hash and its signature by Signer.
func (e *Entry) Verify() error {
	if e.Digest() != e.Hash {
		return fmt.Errorf("%w: entry %d: hash does not match its fields", ErrAudit, e.Seq)
	}
	pub, err := pci.ParsePublicKeyID(e.Signer)
	if err != nil {
		return fmt.Errorf("%w: entry %d: signer: %v", ErrAudit, e.Seq, err)
	}
	if !ed25519.Verify(pub, e.Hash[:], e.Sig) {
		return fmt.Errorf("%w: entry %d: signature does not verify", ErrAudit, e.Seq)
	}
	return nil
}

// apply adds the entry's movement to balances.
func (e *Entry) apply(bal map[string]Micro) {
	if e.Amount == 0 {
		return
	}
	if e.From != "" {
		bal[e.From] -= e.Amount
	}
	bal[e.To] += e.Amount
}
