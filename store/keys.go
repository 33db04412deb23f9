package store

import "strings"

// Key prefixes, one per owner. Every key in the node's store starts with
// exactly one of them; the owner package is the only writer under it.
const (
	PrefixSession = "sess/"   // session heads (Heads)
	PrefixDAG     = "dag/"    // session DAG nodes (DAGStore)
	PrefixLog     = "log/"    // session-head log leaves and checkpoints
	PrefixGov     = "gov/"    // task records' governance (gate verdicts, NTU readings)
	PrefixLedger  = "ledger/" // market ledger
	PrefixLicense = "lic/"    // licenses
	PrefixPattern = "pat/"    // federation patterns
	// PrefixMeta is reserved for the store itself (vault parameters and key
	// check). Vault never encrypts it and refuses writes to it.
	PrefixMeta = "meta/"
)

// Prefixes lists the owner prefixes, in the order above (PrefixMeta is not
// an owner prefix).
var Prefixes = []string{PrefixSession, PrefixDAG, PrefixLog, PrefixGov, PrefixLedger, PrefixLicense, PrefixPattern}

// Key joins an owner prefix and a name: Key(PrefixLedger, "tx/42") is
// "ledger/tx/42".
func Key(prefix, name string) []byte {
	b := make([]byte, 0, len(prefix)+len(name))
	return append(append(b, prefix...), name...)
}

// OwnerOf returns the owner prefix that key starts with, or "" when none.
func OwnerOf(key []byte) string {
	for _, p := range append(Prefixes, PrefixMeta) {
		if strings.HasPrefix(string(key), p) {
			return p
		}
	}
	return ""
}

// prefixEnd returns the smallest key greater than every key starting with
// prefix, or nil when there is none (prefix is empty or all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
