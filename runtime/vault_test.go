package runtime_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/runtime"
	"github.com/bizra/bizra/store"
	"google.golang.org/protobuf/proto"
)

// storedUnder returns the raw values under prefix in a stopped node's store.
func storedUnder(t *testing.T, dataDir, prefix string) [][]byte {
	t.Helper()
	db, err := store.Open(filepath.Join(dataDir, "db"), store.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][]byte
	_ = db.Scan([]byte(prefix), func(_, v []byte) error { out = append(out, v); return nil })
	return out
}

func TestSovereignDataIsEncryptedAtRest(t *testing.T) {
	cfg := testConfig(t)
	n := startNode(t, cfg, nil)
	nc := connect(t, n)
	wantState(t, send(t, nc, "bizra.task.echo", &messages.TaskCard{Input: []byte("x"), SessionId: "vaulted"}), messages.TaskState_TASK_STATE_COMPLETED, "")
	n.Stop()
	gov := storedUnder(t, cfg.DataDir, "gov/")
	if len(gov) == 0 {
		t.Fatal("no governance record stored")
	}
	for _, v := range gov {
		if bytes.Contains(v, []byte("fate.allow")) || proto.Unmarshal(v, &messages.Governance{}) == nil && bytes.Contains(v, []byte("Task")) {
			t.Fatalf("governance record stored in the clear: %q", v)
		}
	}
	// Restarted, the node reads its records back.
	n2 := startNode(t, cfg, nil)
	req, _ := proto.Marshal(&messages.SessionShowRequest{SessionId: "vaulted"})
	msg, err := connect(t, n2).Request("bizra.session.show", req, 5e9)
	var recs messages.SessionRecords
	if err != nil || proto.Unmarshal(msg.Data, &recs) != nil || recs.GetError() != "" {
		t.Fatalf("records after restart: %v", err)
	}
	decisions := 0
	for _, g := range recs.GetGovernance() {
		decisions += len(g.GetGate())
	}
	if decisions != 1 {
		t.Fatalf("governance after restart: %v", recs.GetGovernance())
	}
	n2.Stop()

	// A data dir written in the clear is not silently switched to the vault.
	clearCfg := testConfig(t)
	clearCfg.Vault.Enabled = false
	c := startNode(t, clearCfg, nil)
	wantState(t, send(t, connect(t, c), "bizra.task.echo", &messages.TaskCard{Input: []byte("x"), SessionId: "clear"}), messages.TaskState_TASK_STATE_COMPLETED, "")
	c.Stop()
	if v := storedUnder(t, clearCfg.DataDir, "gov/"); len(v) == 0 || !bytes.Contains(v[0], []byte("fate.allow")) {
		t.Fatal("vault.enabled false still encrypted")
	}
	clearCfg.Vault.Enabled = true
	if _, err := runtime.Start(clearCfg, nil); !errors.Is(err, runtime.ErrInvalidConfig) || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("clear data dir under a vault: %v", err)
	}
}
