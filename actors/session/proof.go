package session

import (
	"fmt"
)

// MaxProofNodes bounds the number of nodes in a proof.
const MaxProofNodes = 1 << 20

// Proof is the lineage of a node: every ancestor of Head and Head itself,
// parents before children, root first and Head last. It is self-contained:
// VerifyProof needs nothing else.
type Proof struct {
	SessionID string
	Head      Hash
	Nodes     []Node
}

// HeadNode returns the last node (the head), or false for an empty proof.
func (p *Proof) HeadNode() (Node, bool) {
	if p == nil || len(p.Nodes) == 0 {
		return Node{}, false
	}
	return p.Nodes[len(p.Nodes)-1], true
}

// State returns the head's state, or 0 for an empty proof.
func (p *Proof) State() State {
	n, _ := p.HeadNode()
	return n.State
}

// HasPayload reports whether a node of the proof recorded payload.
func (p *Proof) HasPayload(payload Hash) bool {
	for _, n := range p.Nodes {
		if n.PayloadHash == payload {
			return true
		}
	}
	return false
}

func proofErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProof}, args...)...)
}

// VerifyProof checks a proof offline. Every failure wraps ErrProof and
// names the node (by index in Nodes) and the check:
//
//   - the session id is valid and there are 1..MaxProofNodes nodes;
//   - every node has a valid state and strictly ascending parents, and no
//     two nodes are equal;
//   - node 0 is the root: no parents, state init, payload RootPayload(id);
//   - every other node has parents, each among the nodes before it, with a
//     legal transition parent state -> node state and a timestamp not
//     earlier than the parent's;
//   - the last node hashes to Head, and every node is an ancestor of Head.
func VerifyProof(p *Proof) error {
	if p == nil {
		return proofErr("nil proof")
	}
	if err := checkID(p.SessionID); err != nil {
		return proofErr("session id: %w", err)
	}
	if len(p.Nodes) == 0 || len(p.Nodes) > MaxProofNodes {
		return proofErr("%d nodes, want 1..%d", len(p.Nodes), MaxProofNodes)
	}
	index := make(map[Hash]int, len(p.Nodes))
	hashes := make([]Hash, len(p.Nodes))
	for i, n := range p.Nodes {
		if err := n.checkShape(); err != nil {
			return proofErr("node %d: %w", i, err)
		}
		h := n.Hash()
		if j, dup := index[h]; dup {
			return proofErr("node %d: duplicate of node %d", i, j)
		}
		index[h] = i
		hashes[i] = h
	}
	root := p.Nodes[0]
	switch {
	case len(root.Parents) != 0:
		return proofErr("node 0: root has %d parents", len(root.Parents))
	case root.State != Init:
		return proofErr("node 0: root state is %s, want init", root.State)
	case root.PayloadHash != RootPayload(p.SessionID):
		return proofErr("node 0: root payload does not bind session id %q", p.SessionID)
	}
	for i := 1; i < len(p.Nodes); i++ {
		n := p.Nodes[i]
		if len(n.Parents) == 0 {
			return proofErr("node %d (%s): second root", i, hashes[i])
		}
		for k, ph := range n.Parents {
			j, ok := index[ph]
			if !ok || j >= i {
				return proofErr("node %d (%s): parent %d %s is not an earlier node", i, hashes[i], k, ph)
			}
			pn := p.Nodes[j]
			if err := Transition(pn.State, n.State); err != nil {
				return proofErr("node %d (%s): from parent node %d: %w", i, hashes[i], j, err)
			}
			if n.Timestamp < pn.Timestamp {
				return proofErr("node %d (%s): timestamp %v before parent node %d's %v", i, hashes[i], n.Time(), j, pn.Time())
			}
		}
	}
	last := len(p.Nodes) - 1
	if hashes[last] != p.Head {
		return proofErr("head: last node hashes to %s, proof names %s", hashes[last], p.Head)
	}
	// Every node must be an ancestor of the head: walk back from it.
	reached := make([]bool, len(p.Nodes))
	reached[last] = true
	count := 1
	for i := last; i >= 0; i-- {
		if !reached[i] {
			continue
		}
		for _, ph := range p.Nodes[i].Parents {
			if j := index[ph]; !reached[j] {
				reached[j] = true
				count++
			}
		}
	}
	if count != len(p.Nodes) {
		for i, r := range reached {
			if !r {
				return proofErr("node %d (%s): not an ancestor of the head", i, hashes[i])
			}
		}
	}
	return nil
}
