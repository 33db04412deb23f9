package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bizra/bizra/actors/market"
)

func marketJSON(t *testing.T, args ...string) (int, market.Response) {
	t.Helper()
	r := bizra(t, append(append([]string{"market"}, args...), "--json")...)
	var resp market.Response
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil && r.code != 2 {
		t.Fatalf("market %v: code %d: %v\n%s\n%s", args, r.code, err, r.stdout, r.stderr)
	}
	return r.code, resp
}

func TestMarketFromTheCLI(t *testing.T) {
	p := startNodeProc(t)
	nats := []string{"--nats", p.info.NATSURL}
	code, st := marketJSON(t, append([]string{"status"}, nats...)...)
	if code != 0 || st.Status.Supply != 1000*market.Credit || st.Status.Licenses != 6 || st.Status.Gini > 0.35 {
		t.Fatalf("status: %d %+v", code, st.Status)
	}
	// The CLI's key holds the genesis license; it re-assesses it.
	if r := bizra(t, append([]string{"market", "assess", "inference-0", "150"}, nats...)...); r.code != 0 || !strings.Contains(r.stdout, "150.000000") {
		t.Fatalf("assess: %+v", r)
	}
	_, st = marketJSON(t, append([]string{"status"}, nats...)...)
	// Another client tries to buy it, over HTTP.
	other := []string{"--key", filepath.Join(t.TempDir(), "other.key"), "--http", p.info.HTTP}
	if code, _ := marketJSON(t, append([]string{"buy", "inference-0", "100"}, other...)...); code != 1 {
		t.Fatalf("buy at a stale price: %d", code)
	}
	// The new client has no credits: it cannot pay; the ledger is untouched.
	code, resp := marketJSON(t, append([]string{"buy", "inference-0", "150"}, other...)...)
	if code != 1 || resp.Error == nil {
		t.Fatalf("buy without credits: %d %+v", code, resp)
	}
	_, st2 := marketJSON(t, append([]string{"status"}, nats...)...)
	if st2.Status.Entries != st.Status.Entries || st2.Status.Head != st.Status.Head {
		t.Fatalf("refused buys changed the ledger: %d -> %d entries", st.Status.Entries, st2.Status.Entries)
	}
	// Buying a market-held license costs its value; own license refused.
	if code, _ := marketJSON(t, append([]string{"buy", "inference-1", "100", "--declare", "120"}, nats...)...); code != 0 {
		t.Fatalf("buy market license: %d", code)
	}
	if code, resp := marketJSON(t, append([]string{"buy", "inference-1", "120"}, nats...)...); code != 1 || resp.Error.Code != "E_MARKET_OWN_LICENSE" {
		t.Fatalf("buy own: %d %+v", code, resp.Error)
	}
	code, bal := marketJSON(t, append([]string{"balance"}, nats...)...)
	if code != 0 || bal.Balance.Balance != 900*market.Credit || len(bal.Balance.Licenses) != 2 {
		t.Fatalf("balance: %d %+v", code, bal.Balance)
	}
	if r := bizra(t, append([]string{"market", "assess", "inference-0", "abc"}, nats...)...); r.code != 2 {
		t.Fatalf("bad value: %+v", r)
	}
	if r := bizra(t, append([]string{"market", "licenses"}, nats...)...); r.code != 0 || !strings.Contains(r.stdout, "inference-1") {
		t.Fatalf("licenses: %+v", r)
	}
	// kill -9 and restart: the same ledger.
	_, before := marketJSON(t, append([]string{"status"}, nats...)...)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p2 := startNodeProcIn(t, p.dir)
	_, after := marketJSON(t, "status", "--nats", p2.info.NATSURL)
	if after.Status.Entries != before.Status.Entries || after.Status.Head != before.Status.Head || after.Status.Supply != before.Status.Supply {
		t.Fatalf("ledger after restart: %+v, before %+v", after.Status, before.Status)
	}
	_, bal2 := marketJSON(t, "balance", "--nats", p2.info.NATSURL)
	if bal2.Balance.Balance > bal.Balance.Balance || bal2.Balance.Balance < bal.Balance.Balance-market.Credit {
		t.Fatalf("balance after restart %v, before %v", bal2.Balance.Balance, bal.Balance.Balance)
	}
}
