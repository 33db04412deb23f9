package inference

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"google.golang.org/protobuf/proto"
)

func TestEnvelopedRequests(t *testing.T) {
	cfg := localConfig(tinyModel(t))
	cfg.Auth.RequireEnvelope = true
	vcfg := pci.DefaultConfig()
	vcfg.MeasureSNR = false
	verifier, err := pci.NewVerifier(vcfg)
	if err != nil {
		t.Fatal(err)
	}
	open := func(data []byte) ([]byte, string, error) {
		env, err := verifier.Open(data, time.Now())
		if err != nil {
			return nil, "", err
		}
		if env.GetPayloadType() != PayloadRequest {
			return nil, "", fmt.Errorf("payload type %q", env.GetPayloadType())
		}
		return env.GetPayload(), pci.PublicKeyID(env.GetSignerPublicKey()), nil
	}
	g, err := NewGateway(cfg, Deps{OpenEnvelope: open, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)

	pub, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(map[string]any{"model": tinyID, "max_tokens": 4, "agent": "claimed",
		"messages": []map[string]string{{"role": "user", "content": "hello"}}})
	seal := func(payloadType string, payload []byte) []byte {
		env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_USER, payloadType, payload, 1, 1, time.Minute, time.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := proto.Marshal(env)
		return data
	}
	url := srv.URL + RouteChatCompletions[len("POST "):]
	good := seal(PayloadRequest, body)
	code, out := post(t, url, good, HeaderEnvelope, "v1")
	var resp struct {
		Bizra struct {
			Budget struct {
				Agent string `json:"agent"`
			} `json:"budget"`
		} `json:"bizra"`
	}
	if code != 200 || json.Unmarshal(out, &resp) != nil || resp.Bizra.Budget.Agent != pci.PublicKeyID(pub) {
		t.Fatalf("enveloped request: %d %s", code, out)
	}
	// Replayed, tampered, of another payload type, or bare: refused 401.
	var env messages.Envelope
	_ = proto.Unmarshal(seal(PayloadRequest, body), &env)
	env.Payload = append([]byte(nil), env.GetPayload()...)
	env.Payload[5] ^= 1
	tampered, _ := proto.Marshal(&env)
	for name, c := range map[string]struct {
		data []byte
		hdr  []string
	}{
		"replay":   {good, []string{HeaderEnvelope, "v1"}},
		"tampered": {tampered, []string{HeaderEnvelope, "v1"}},
		"type":     {seal("bizra.v1.TaskCard", body), []string{HeaderEnvelope, "v1"}},
		"bare":     {body, nil},
	} {
		if code, out := post(t, url, c.data, c.hdr...); code != 401 {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	// Reads need no envelope.
	if code, _ := get(t, srv.URL+RouteModels[len("GET "):]); code != 200 {
		t.Fatalf("models: %d", code)
	}
}
