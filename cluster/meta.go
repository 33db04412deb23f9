package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
)

// MetaMaxSize is the most bytes of metadata a member may gossip
// (memberlist's limit).
const MetaMaxSize = 512

// Meta is what a member tells the cluster about itself; it travels with
// gossip and changes when agents come and go.
type Meta struct {
	// NodeID names the member (also its memberlist name).
	NodeID string `json:"id"`
	// Remote is the member's actor endpoint ("host:port") for TaskCards.
	Remote string `json:"r,omitempty"`
	// ActorID is the member's protoactor actor-system id (its id in the
	// protoactor cluster topology).
	ActorID string `json:"a,omitempty"`
	// HTTP is the member's HTTP API address.
	HTTP string `json:"h,omitempty"`
	// Key is the member's identity key ("ed25519:…"); results it signs
	// are verified against it (membership alone grants no trust).
	Key string `json:"k,omitempty"`
	// Version is the member's software version.
	Version string `json:"v,omitempty"`
	// Kinds are the cluster kinds the member hosts (e.g. "session").
	Kinds []string `json:"kinds,omitempty"`
	// Capabilities the member's agents serve, sorted.
	Capabilities []string `json:"caps,omitempty"`
}

// Encode renders m for gossip; ErrMetaTooLarge past MetaMaxSize.
func (m Meta) Encode() ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(b) > MetaMaxSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d): too many capabilities (%d)", ErrMetaTooLarge, len(b), MetaMaxSize, len(m.Capabilities))
	}
	return b, nil
}

// DecodeMeta parses gossiped metadata.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: %w", ErrBadMeta, err)
	}
	if m.NodeID == "" {
		return m, fmt.Errorf("%w: no node id", ErrBadMeta)
	}
	return m, nil
}

// Has reports whether the member serves capability.
func (m Meta) Has(capability string) bool {
	_, ok := slices.BinarySearch(m.Capabilities, capability)
	return ok
}
