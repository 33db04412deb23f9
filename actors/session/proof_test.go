package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func cloneProof(p *Proof) *Proof {
	q := &Proof{SessionID: p.SessionID, Head: p.Head, Nodes: make([]Node, len(p.Nodes))}
	for i, n := range p.Nodes {
		n.Parents = append([]Hash(nil), n.Parents...)
		q.Nodes[i] = n
	}
	return q
}

func TestProofJSONRoundTrip(t *testing.T) {
	p := fullSession(t).Proof()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeProofJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyProof(q); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(q)
	if !bytes.Equal(b, b2) {
		t.Fatal("JSON round trip is not stable")
	}
	// Proof embeds in a larger document through UnmarshalJSON.
	var doc struct {
		Proof *Proof `json:"proof"`
	}
	if err := json.Unmarshal([]byte(`{"proof":`+string(b)+`}`), &doc); err != nil || doc.Proof.Head != p.Head {
		t.Fatalf("embedded proof: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"proof":{"format":"x"}}`), &doc); !errors.Is(err, ErrMalformed) {
		t.Fatalf("embedded bad proof: %v", err)
	}
}

// Every byte of a JSON proof matters: changing any one makes decoding or
// verification fail.
func TestFlipAnyByteOfJSONProof(t *testing.T) {
	p := fullSession(t).Proof()
	b, _ := json.Marshal(p)
	for i := range b {
		for _, mask := range []byte{0x01, 0x20, 0x80} {
			f := bytes.Clone(b)
			f[i] ^= mask
			q, err := DecodeProofJSON(f)
			if err == nil {
				err = VerifyProof(q)
			}
			if err == nil {
				t.Fatalf("byte %d (%q) ^ %#x: tampered proof accepted", i, b[i], mask)
			}
		}
	}
}

// Every byte of every node matters.
func TestFlipAnyByteOfProofNode(t *testing.T) {
	p := fullSession(t).Proof()
	for i, n := range p.Nodes {
		enc := n.Encode()
		for j := range enc {
			f := bytes.Clone(enc)
			f[j] ^= 0x01
			m, err := DecodeNode(f)
			if err != nil {
				continue
			}
			q := cloneProof(p)
			q.Nodes[i] = m
			if err := VerifyProof(q); !errors.Is(err, ErrProof) {
				t.Fatalf("node %d byte %d flipped: %v", i, j, err)
			}
		}
	}
}

func TestVerifyProofNamesTheFailure(t *testing.T) {
	ok := mustHash(t)
	s := fullSession(t)
	base := s.Proof()
	// A node that is not an ancestor of the head: an extra branch.
	s2, _ := Create("sess-1", NewMemStore(), at(0))
	a := ok(s2.Begin(HashPayload([]byte("task card")), at(1)))
	side := ok(s2.Branch(a, Hash{1}, at(2)))
	sideNode, _ := s2.Node(side)
	illegal, _ := NewNode(Validated, at(8), []Hash{base.Nodes[1].Hash()}, Hash{})
	early, _ := NewNode(Active, at(0).Add(-1), []Hash{base.Nodes[1].Hash()}, Hash{})
	secondRoot, _ := NewNode(Init, at(0), nil, RootPayload("sess-1"))

	cases := []struct {
		name string
		mut  func(p *Proof)
		want string
	}{
		{"nil nodes", func(p *Proof) { p.Nodes = nil }, "0 nodes"},
		{"bad id", func(p *Proof) { p.SessionID = "" }, "session id"},
		{"other id", func(p *Proof) { p.SessionID = "sess-2" }, "node 0: root payload"},
		{"head", func(p *Proof) { p.Head[0] ^= 1 }, "head: last node"},
		{"missing node", func(p *Proof) { p.Nodes = append(p.Nodes[:3:3], p.Nodes[4:]...) }, "is not an earlier node"},
		{"reordered", func(p *Proof) { p.Nodes[0], p.Nodes[1] = p.Nodes[1], p.Nodes[0] }, "node 0: root has 1 parents"},
		{"child before parent", func(p *Proof) {
			n := len(p.Nodes)
			p.Nodes[n-2], p.Nodes[n-1] = p.Nodes[n-1], p.Nodes[n-2]
		}, "is not an earlier node"},
		{"duplicate", func(p *Proof) { p.Nodes = append(p.Nodes[:2:2], append([]Node{p.Nodes[1]}, p.Nodes[2:]...)...) }, "duplicate of node 1"},
		{"not an ancestor", func(p *Proof) {
			p.Nodes = append(p.Nodes[:2:2], append([]Node{sideNode}, p.Nodes[2:]...)...)
		}, "not an ancestor of the head"},
		{"illegal transition", func(p *Proof) {
			p.Nodes = append(p.Nodes, illegal)
			p.Head = illegal.Hash()
		}, "illegal transition: active -> validated"},
		{"timestamp", func(p *Proof) {
			p.Nodes = append(p.Nodes[:2:2], early)
			p.Head = early.Hash()
		}, "timestamp"},
		{"second root", func(p *Proof) {
			r := secondRoot
			r.Timestamp++
			p.Nodes = append(p.Nodes, r)
			p.Head = r.Hash()
		}, "second root"},
		{"unsorted parents", func(p *Proof) {
			for i, n := range p.Nodes {
				if len(n.Parents) == 2 {
					p.Nodes[i].Parents[0], p.Nodes[i].Parents[1] = n.Parents[1], n.Parents[0]
				}
			}
		}, "not strictly ascending"},
		{"root with parent", func(p *Proof) { p.Nodes[0].Parents = []Hash{{1}} }, "node 0: root has 1 parents"},
		{"root state", func(p *Proof) { p.Nodes[0].State = Active }, "node 0: root state"},
	}
	for _, tc := range cases {
		p := cloneProof(base)
		tc.mut(p)
		err := VerifyProof(p)
		if !errors.Is(err, ErrProof) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if err := VerifyProof(nil); !errors.Is(err, ErrProof) {
		t.Error(err)
	}
	if err := VerifyProof(base); err != nil {
		t.Fatalf("cases mutated the base proof: %v", err)
	}
}

func TestDecodeProofJSONRejects(t *testing.T) {
	p := fullSession(t).Proof()
	good, _ := json.Marshal(p)
	g := string(good)
	h := p.Nodes[0].Hash().String()
	cases := map[string]string{
		"empty":           ``,
		"not json":        `{`,
		"array":           `[]`,
		"trailing":        g + `{}`,
		"trailing junk":   g + ` x`,
		"unknown member":  strings.Replace(g, `"format"`, `"extra":1,"format"`, 1),
		"case":            strings.Replace(g, `"head"`, `"Head"`, 1),
		"duplicate":       strings.Replace(g, `"format"`, `"session_id":"x","format"`, 1),
		"format":          strings.Replace(g, ProofFormat, "bizra.session.proof/v2", 1),
		"no head":         strings.Replace(g, `"head":"`+p.Head.String()+`",`, ``, 1),
		"upper hex":       strings.Replace(g, h, strings.ToUpper(h), 1),
		"short hash":      strings.Replace(g, h, h[:62], 1),
		"state":           strings.Replace(g, `"state":"init"`, `"state":"begun"`, 1),
		"state number":    strings.Replace(g, `"state":"init"`, `"state":1`, 1),
		"missing state":   strings.Replace(g, `"state":"init",`, ``, 1),
		"timestamp":       strings.Replace(g, `"timestamp":"2026-03-04T05:06:07.000000008Z"`, `"timestamp":"yesterday"`, 1),
		"parents null":    strings.Replace(g, `"parents":[]`, `"parents":null`, 1),
		"nodes empty":     `{"format":"` + ProofFormat + `","session_id":"s","head":"` + h + `","nodes":[]}`,
		"declared hash":   strings.Replace(g, `"hash":"`+h, `"hash":"`+p.Nodes[1].Hash().String(), 1),
		"session id type": strings.Replace(g, `"session_id":"sess-1"`, `"session_id":1`, 1),
	}
	for name, in := range cases {
		if in == g {
			t.Fatalf("%s: replacement did not apply", name)
		}
		_, err := DecodeProofJSON([]byte(in))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	_, err := DecodeProofJSON([]byte(strings.Replace(g, `"hash":"`+h, `"hash":"`+p.Nodes[1].Hash().String(), 1)))
	if !errors.Is(err, ErrProof) || !strings.Contains(err.Error(), "node 0") {
		t.Errorf("declared hash mismatch should name node 0 and wrap ErrProof: %v", err)
	}
	if _, err := DecodeProofJSON(make([]byte, MaxProofJSON+1)); !errors.Is(err, ErrMalformed) {
		t.Error("oversized input accepted")
	}
}
