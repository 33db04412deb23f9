package market

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
)

func wireMarket(t *testing.T) (*Market, *clock) {
	t.Helper()
	clk := newClock()
	cfg := testConfig(clk)
	cfg.Grants = []Grant{{To: ident(1), Amount: 1000 * Credit}}
	return openMarket(t, openStore(t, t.TempDir()), cfg, newSystem(t)), clk
}

func decodeResponse(t *testing.T, data []byte) Response {
	t.Helper()
	var r Response
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("response %q: %v", data, err)
	}
	return r
}

func TestHandleSigned(t *testing.T) {
	m, clk := wireMarket(t)
	seal := func(req Request) []byte {
		data, err := SealRequest(testKey(1), req, time.Minute, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	buy := seal(Request{Verb: VerbBuy, License: "inference-2", ExpectedPrice: 100 * Credit, Value: 120 * Credit})
	out, err := m.HandleSigned(buy)
	if err != nil {
		t.Fatal(err)
	}
	r := decodeResponse(t, out)
	if !r.OK || r.Requester != ident(1) || r.Receipt == nil || len(r.Receipt.Entries) != 1 || r.Receipt.Entries[0].Verify() != nil {
		t.Fatalf("buy response %s", out)
	}
	// Replayed: rejected, reported with R001.
	out, err = m.HandleSigned(buy)
	if !errors.Is(err, pci.ErrReplay) || decodeResponse(t, out).Error.Code != pci.CodeTTLExpired {
		t.Fatalf("replay: %v %s", err, out)
	}
	// Balance of the signer by default; licenses listed.
	out, _ = m.HandleSigned(seal(Request{Verb: VerbBalance}))
	if r := decodeResponse(t, out); r.Balance == nil || r.Balance.Balance != 900*Credit || len(r.Balance.Licenses) != 1 {
		t.Fatalf("balance %s", out)
	}
	// Errors carry their codes.
	out, err = m.HandleSigned(seal(Request{Verb: VerbBuy, License: "inference-2", ExpectedPrice: 100 * Credit, Value: Credit}))
	if !errors.Is(err, ErrOwnLicense) || decodeResponse(t, out).Error.Code != CodeOwnLicense {
		t.Fatalf("own: %v %s", err, out)
	}
	out, err = m.HandleSigned(seal(Request{Verb: "mint"}))
	if !errors.Is(err, ErrBadRequest) || decodeResponse(t, out).Error.Code != CodeBadRequest {
		t.Fatalf("unknown verb: %v %s", err, out)
	}
	// A request with unknown fields is refused.
	if _, err := DecodeRequest([]byte(`{"verb":"buy","requester":"ed25519:x"}`)); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("unknown field: %v", err)
	}
	// Another payload type is refused.
	env, _ := pci.Seal(testKey(1), messages.AgentType_AGENT_TYPE_USER, "bizra.v1.TaskCard", []byte(`{"verb":"status"}`), 1, 1, time.Minute, clk.Now(), nil)
	data, _ := proto.Marshal(env)
	if _, err := m.HandleSigned(data); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("payload type: %v", err)
	}
	// An expired envelope is R001.
	old, _ := SealRequest(testKey(1), Request{Verb: VerbStatus}, time.Second, clk.Now().Add(-time.Hour))
	if _, err := m.HandleSigned(old); !errors.Is(err, pci.ErrTTLExpired) {
		t.Fatalf("expired: %v", err)
	}
}

func TestHTTPHandler(t *testing.T) {
	m, clk := wireMarket(t)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	get := func(path string) (int, Response) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, decodeResponse(t, body)
	}
	post := func(path string, body []byte) (int, Response) {
		resp, err := http.Post(srv.URL+path, "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, decodeResponse(t, data)
	}
	if code, r := get("/v1/market/status"); code != 200 || r.Status == nil || r.Status.Supply != 2000*Credit {
		t.Fatalf("status %d %+v", code, r)
	}
	if code, r := get("/v1/market/licenses"); code != 200 || len(r.Licenses) != 6 {
		t.Fatalf("licenses %d %+v", code, r)
	}
	if code, r := get("/v1/market/balance?account=" + ident(1)); code != 200 || r.Balance.Balance != 1000*Credit {
		t.Fatalf("balance %d %+v", code, r)
	}
	if code, _ := get("/v1/market/balance?account=bob"); code != 400 {
		t.Fatalf("bad account: %d", code)
	}
	if code, _ := get("/v1/market/buy"); code != 405 {
		t.Fatalf("GET buy: %d", code)
	}
	if code, _ := get("/v1/market/nothing"); code != 404 {
		t.Fatalf("unknown path: %d", code)
	}
	seal := func(req Request) []byte {
		data, err := SealRequest(testKey(1), req, time.Minute, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	buy := seal(Request{Verb: VerbBuy, License: "pattern-0", ExpectedPrice: 100 * Credit, Value: 50 * Credit})
	if code, r := post("/v1/market/assess", seal(Request{Verb: VerbBuy})); code != 400 || r.Error.Code != CodeBadRequest {
		t.Fatalf("verb/path mismatch: %d %+v", code, r)
	}
	if code, r := post("/v1/market/buy", buy); code != 200 || !r.OK {
		t.Fatalf("buy: %d %+v", code, r)
	}
	if code, _ := post("/v1/market/buy", buy); code != 401 {
		t.Fatalf("replay: %d", code)
	}
	stale := seal(Request{Verb: VerbBuy, License: "pattern-0", ExpectedPrice: 100 * Credit, Value: 50 * Credit})
	if code, r := post("/v1/market/buy", stale); code != 409 || r.Error.Code != CodeOwnLicense {
		t.Fatalf("own: %d %+v", code, r)
	}
	if code, r := post("/v1/market/buy", []byte(`{"verb":"buy"}`)); code != 401 || r.Error.Code != pci.CodeMalformedEnvelope {
		t.Fatalf("unsigned POST: %d %+v", code, r)
	}
}

func TestNATS(t *testing.T) {
	m, clk := wireMarket(t)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := m.SubscribeNATS(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()

	msg, err := nc.Request(SubjectPrefix+VerbStatus, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeResponse(t, msg.Data); !r.OK || r.Status.Licenses != 6 {
		t.Fatalf("status %s", msg.Data)
	}
	// Unsigned writes are refused.
	msg, err = nc.Request(SubjectPrefix+VerbBuy, []byte(`{"verb":"buy","license":"inference-1"}`), 5*time.Second)
	if err != nil || decodeResponse(t, msg.Data).Error.Code != CodeBadRequest {
		t.Fatalf("unsigned buy: %v %s", err, msg.Data)
	}
	// Signed ones go through.
	data, _ := SealRequest(testKey(1), Request{Verb: VerbBuy, License: "inference-1", ExpectedPrice: 100 * Credit, Value: 100 * Credit}, time.Minute, clk.Now())
	req := nats.NewMsg(SubjectPrefix + VerbBuy)
	req.Header.Set(HeaderEnvelope, "v1")
	req.Data = data
	msg, err = nc.RequestMsg(req, 5*time.Second)
	if err != nil || !decodeResponse(t, msg.Data).OK {
		t.Fatalf("signed buy: %v %s", err, msg.Data)
	}
	if !m.Ledger().Holds(ident(1), KindInference) {
		t.Fatal("not bought")
	}
	if err := sub.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestMetrics(t *testing.T) {
	m, _ := wireMarket(t)
	reg := prometheus.NewRegistry()
	if err := m.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, x := range mf.GetMetric() {
			switch {
			case x.GetGauge() != nil:
				got[mf.GetName()] = x.GetGauge().GetValue()
			case x.GetCounter() != nil:
				got[mf.GetName()] = x.GetCounter().GetValue()
			}
		}
	}
	want := map[string]float64{"bizra_market_licenses_active": 1, "bizra_market_licenses": 6, "bizra_market_tax_collected_total": 0,
		"bizra_market_supply_credits": 2000, "bizra_market_pool_credits": 0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if g, ok := got["bizra_market_gini"]; !ok || g <= 0 || g >= 1 {
		t.Errorf("gini %v", g)
	}
	if !strings.HasPrefix(m.NodeID(), "ed25519:") {
		t.Error("node id")
	}
}
