package runtime

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/proto"
)

// PayloadGossipKeyRequest is the payload type of a signed gossip-key
// request (POST /v1/cluster/keys).
const PayloadGossipKeyRequest = "bizra.cluster.v1.GossipKeyRequest"

// GossipKeyRequest changes the gossip keyring: op "install" adds a key,
// "use" makes an installed key the one gossip is encrypted with, "remove"
// drops a key that is not in use. Rotation without downtime: install the
// new key on every member, then use it on every member, then remove the
// old one.
type GossipKeyRequest struct {
	Op  string `json:"op"`
	Key string `json:"key"` // base64 of 16, 24 or 32 bytes
}

// GossipKeys answers GET and POST /v1/cluster/keys: the fingerprints
// (first 8 bytes of SHA-256, hex) of the installed keys, the primary first.
type GossipKeys struct {
	Primary string   `json:"primary"`
	Keys    []string `json:"keys"`
	Error   string   `json:"error,omitempty"`
}

// GossipKeyFingerprint names a gossip key without revealing it.
func GossipKeyFingerprint(key []byte) string {
	h := sha256.Sum256(key)
	return hex.EncodeToString(h[:8])
}

// SealGossipKeyRequest signs req with key (the node's own identity key:
// only it may change the node's keyring).
func SealGossipKeyRequest(key ed25519.PrivateKey, req GossipKeyRequest, now time.Time) ([]byte, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_SOVEREIGN, PayloadGossipKeyRequest, payload, 1, 1, time.Minute, now, nil)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(env)
}

func (n *Node) gossipKeys() GossipKeys {
	out := GossipKeys{Keys: []string{}}
	m := n.Membership()
	if m == nil || m.Keyring() == nil {
		out.Error = "gossip is not encrypted on this node (cluster.keys is empty)"
		return out
	}
	kr := m.Keyring()
	out.Primary = GossipKeyFingerprint(kr.GetPrimaryKey())
	for _, k := range kr.GetKeys() {
		out.Keys = append(out.Keys, GossipKeyFingerprint(k))
	}
	return out
}

func (n *Node) serveGossipKeys(w http.ResponseWriter, r *http.Request) {
	write := func(status int, v GossipKeys) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Method == http.MethodGet {
		k := n.gossipKeys()
		status := http.StatusOK
		if k.Error != "" {
			status = http.StatusNotFound
		}
		write(status, k)
		return
	}
	fail := func(status int, format string, args ...any) {
		k := n.gossipKeys()
		k.Error = fmt.Sprintf(format, args...)
		write(status, k)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		fail(http.StatusBadRequest, "reading body: %v", err)
		return
	}
	env, err := n.keyVerifier.Open(data, time.Now())
	if err != nil {
		fail(http.StatusForbidden, "%v (gossip-key requests must be signed by this node's key)", err)
		return
	}
	var req GossipKeyRequest
	if env.GetPayloadType() != PayloadGossipKeyRequest || json.Unmarshal(env.GetPayload(), &req) != nil {
		fail(http.StatusBadRequest, "not a %s", PayloadGossipKeyRequest)
		return
	}
	m := n.Membership()
	if m == nil {
		fail(http.StatusNotFound, "this node is not a cluster member")
		return
	}
	switch req.Op {
	case "install":
		err = m.InstallKey(req.Key)
	case "use":
		err = m.UseKey(req.Key)
	case "remove":
		err = m.RemoveKey(req.Key)
	default:
		fail(http.StatusBadRequest, "op %q: want install, use or remove", req.Op)
		return
	}
	if err != nil {
		fail(http.StatusBadRequest, "%v", err)
		return
	}
	if b, err := base64.StdEncoding.DecodeString(req.Key); err == nil {
		n.log.Info("gossip keyring changed", "op", req.Op, "key", GossipKeyFingerprint(b))
	}
	write(http.StatusOK, n.gossipKeys())
}
