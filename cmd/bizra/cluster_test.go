package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// clusterYAML is a node config with LAN-test detector timings.
func clusterYAML(t *testing.T, agents string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "node.yaml")
	cfg := `cluster:
  lan: false
  detector: {heartbeat_interval: 100ms, min_std_dev: 30ms, acceptable_pause: 200ms}
agents:
` + agents
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func members(t *testing.T, p *nodeProc) map[string]string {
	t.Helper()
	r := bizra(t, "members", "--http", p.info.HTTP, "--json")
	if r.code != 0 {
		return nil
	}
	var ms runtime.MembersJSON
	if err := json.Unmarshal([]byte(r.stdout), &ms); err != nil {
		t.Fatalf("members --json: %v\n%s", err, r.stdout)
	}
	out := map[string]string{}
	for _, m := range ms.Members {
		out[m.ID] = m.State.String() + "/" + m.Reason
	}
	return out
}

func state(t *testing.T, p *nodeProc, id string) string {
	s, _, _ := strings.Cut(members(t, p)[id], "/")
	return s
}

func sendJSON(t *testing.T, natsURL string, args ...string) (int, *messages.TaskResult) {
	t.Helper()
	r := bizra(t, append([]string{"task", "send", "--nats", natsURL, "--json"}, args...)...)
	var res messages.TaskResult
	if err := protojson.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("task send %v: code %d: %v\n%s\n%s", args, r.code, err, r.stdout, r.stderr)
	}
	return r.code, &res
}

// sendAsync runs `task send` in the background; the result arrives on the
// returned channel.
func sendAsync(t *testing.T, natsURL string, args ...string) <-chan *messages.TaskResult {
	ch := make(chan *messages.TaskResult, 1)
	cmd := exec.Command(filepath.Join(binDir, "bizra"), append([]string{"task", "send", "--nats", natsURL, "--json"}, args...)...)
	go func() {
		out, _ := cmd.Output()
		var res messages.TaskResult
		if err := protojson.Unmarshal(out, &res); err != nil {
			res.ErrorMessage = fmt.Sprintf("unreadable output %q: %v", out, err)
		}
		ch <- &res
	}()
	return ch
}

func TestClusterOfThreeProcesses(t *testing.T) {
	plain := clusterYAML(t, "  - {name: echo-1, kind: echo, capabilities: [echo]}\n")
	a := startNodeProc(t, "--config", plain, "--node-id", "node-a", "--gossip", "127.0.0.1:0")
	if a.info.Gossip == "" || a.info.Remote == "" {
		t.Fatalf("node.json lacks cluster addresses: %+v", a.info)
	}
	b := startNodeProc(t, "--config", plain, "--node-id", "node-b", "--gossip", "127.0.0.1:0", "--join", a.info.Gossip)
	cCfg := clusterYAML(t, "  - {name: only-c, kind: echo, capabilities: [c-only]}\n  - {name: sh, kind: shell, capabilities: [c-shell]}\n")
	cDir := t.TempDir()
	c := startNodeProcIn(t, cDir, "--config", cCfg, "--node-id", "node-c", "--gossip", "127.0.0.1:0", "--join", a.info.Gossip)
	for _, p := range []*nodeProc{a, b, c} {
		pollUntil(t, 15*time.Second, "three ACTIVE members seen from "+p.info.NodeID, func() bool {
			m := members(t, p)
			return strings.HasPrefix(m["node-a"], "ACTIVE") && strings.HasPrefix(m["node-b"], "ACTIVE") && strings.HasPrefix(m["node-c"], "ACTIVE")
		})
	}
	if r := bizra(t, "members", "--http", a.info.HTTP); r.code != 0 || !strings.Contains(r.stdout, "c-only") || !strings.Contains(r.stdout, "node-a (self)") {
		t.Fatalf("members table: %+v", r)
	}

	// A capability only on c, reached through a: c's result, verified and
	// recorded by a, signed by a for its client.
	pollUntil(t, 10*time.Second, "c-only routable from a", func() bool {
		code, res := sendJSON(t, a.info.NATSURL, "--capability", "c-only", "--input", "across")
		return code == 0 && res.GetNodeId() == "node-c" && string(res.GetOutput()) == "across"
	})

	// The session lives where its records were committed (a, which was
	// asked, and c, which ran it); any member finds them.
	if code, _ := sendJSON(t, a.info.NATSURL, "--capability", "c-only", "--input", "kept", "--session", "across"); code != 0 {
		t.Fatal("session task failed")
	}
	v := bizra(t, "session", "show", "across", "--nats", b.info.NATSURL)
	if v.code != 0 || !strings.Contains(v.stdout, "kept by member node-a") || !strings.Contains(v.stdout, "kept by member node-c") ||
		strings.Contains(v.stdout, "INVALID") {
		t.Fatalf("session show through b: %+v", v)
	}

	// The session's own DAG is a grain on one member; closing it through
	// any member commits it, and no member takes its tasks afterwards.
	if r := bizra(t, "session", "close", "across", "--nats", b.info.NATSURL); r.code != 0 || !strings.Contains(r.stdout, "committed: ") {
		t.Fatalf("close through b: %+v", r)
	}
	for _, p := range []*nodeProc{a, c} {
		code, res := sendJSON(t, p.info.NATSURL, "--capability", "c-only", "--input", "late", "--session", "across")
		if code != 1 || res.GetErrorCode() != messages.CodeSessionCommitted {
			t.Fatalf("task in the closed session through %s: %d %v", p.info.NodeID, code, res)
		}
	}

	// SIGSTOP c while it holds a task: SUSPECT; SIGCONT: ACTIVE again and
	// the task completes.
	held := sendAsync(t, a.info.NATSURL, "--capability", "c-shell", "--input", "sleep 1 && echo survived")
	pollUntil(t, 10*time.Second, "task in flight on a", func() bool {
		return metric(t, a, "bizra_tasks_in_flight") == "1"
	})
	if err := c.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, "c SUSPECT", func() bool { return state(t, a, "node-c") == "SUSPECT" })
	if err := c.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 15*time.Second, "c ACTIVE again", func() bool { return state(t, a, "node-c") == "ACTIVE" })
	select {
	case res := <-held:
		if res.GetState() != messages.TaskState_TASK_STATE_COMPLETED || !strings.Contains(string(res.GetOutput()), "survived") {
			t.Fatalf("held task after SIGCONT: %v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("held task never answered")
	}

	// kill -9 c holding a non-idempotent task: SUSPECT, DEAD, and the task
	// fails saying why; c's capability is gone.
	lost := sendAsync(t, a.info.NATSURL, "--capability", "c-shell", "--input", "sleep 20")
	pollUntil(t, 10*time.Second, "task in flight on a", func() bool {
		return metric(t, a, "bizra_tasks_in_flight") == "1"
	})
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
	select {
	case res := <-lost:
		if res.GetErrorCode() != messages.CodeMemberLost || !strings.Contains(res.GetErrorMessage(), "not idempotent") {
			t.Fatalf("task on the killed member: %v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("task on the killed member never answered")
	}
	if s := state(t, a, "node-c"); s != "DEAD" {
		t.Fatalf("c is %s", s)
	}
	code, res := sendJSON(t, a.info.NATSURL, "--capability", "c-only", "--input", "x")
	if code != 1 || res.GetErrorCode() != messages.CodeUnknownCapability {
		t.Fatalf("c-only with c dead: %d %v", code, res)
	}

	// c restarts on its data dir and gossip address: ACTIVE and routable.
	c2 := startNodeProcIn(t, cDir, "--config", cCfg, "--node-id", "node-c", "--gossip", c.info.Gossip, "--join", a.info.Gossip)
	_ = c2
	pollUntil(t, 20*time.Second, "c back and routable", func() bool {
		code, res := sendJSON(t, a.info.NATSURL, "--capability", "c-only", "--input", "back")
		return code == 0 && res.GetNodeId() == "node-c"
	})

	// SIGTERM b: it leaves, and a sees it left rather than failed.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-b.done
	if b.err != nil {
		t.Fatalf("b exit: %v\n%s", b.err, b.stderr)
	}
	pollUntil(t, 10*time.Second, "b left", func() bool { return members(t, a)["node-b"] == "DEAD/left" })
}

// metric returns the value of an unlabelled metric on p's /metrics.
func metric(t *testing.T, p *nodeProc, name string) string {
	t.Helper()
	r, _ := httpGet("http://" + p.info.HTTP + "/metrics")
	for _, line := range strings.Split(r, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

func TestGossipKeyRotationAcrossProcesses(t *testing.T) {
	k1 := strings.TrimSpace(bizra(t, "cluster", "keys", "generate").stdout)
	k2 := strings.TrimSpace(bizra(t, "cluster", "keys", "generate").stdout)
	cfgWith := func(keys ...string) string {
		p := filepath.Join(t.TempDir(), "node.yaml")
		body := "cluster:\n  lan: false\n  keys: [" + strings.Join(keys, ", ") + "]\n" +
			"  detector: {heartbeat_interval: 100ms, min_std_dev: 30ms, acceptable_pause: 200ms}\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := cfgWith(k1)
	a := startNodeProc(t, "--config", old, "--node-id", "node-a", "--gossip", "127.0.0.1:0")
	b := startNodeProc(t, "--config", old, "--node-id", "node-b", "--gossip", "127.0.0.1:0", "--join", a.info.Gossip)
	pollUntil(t, 15*time.Second, "b ACTIVE", func() bool { return state(t, a, "node-b") == "ACTIVE" })
	// Only the node's own key may change its keyring.
	if r := bizra(t, "cluster", "keys", "install", k2, "--data-dir", t.TempDir(), "--http", a.info.HTTP); r.code != 1 || !strings.Contains(r.stderr, "R002") {
		t.Fatalf("install signed by another key: %+v", r)
	}
	for _, op := range []string{"install", "use", "remove"} {
		key := k2
		if op == "remove" {
			key = k1
		}
		for _, p := range []*nodeProc{a, b} {
			if r := bizra(t, "cluster", "keys", op, key, "--data-dir", p.dir); r.code != 0 {
				t.Fatalf("%s on %s: %+v", op, p.info.NodeID, r)
			}
		}
	}
	r := bizra(t, "cluster", "keys", "list", "--data-dir", a.dir)
	if r.code != 0 || strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 || !strings.Contains(r.stdout, "(primary)") {
		t.Fatalf("keys after rotation: %+v", r)
	}
	// A member with only the new key joins; a and b never lost each other.
	startNodeProc(t, "--config", cfgWith(k2), "--node-id", "node-c", "--gossip", "127.0.0.1:0", "--join", a.info.Gossip)
	pollUntil(t, 15*time.Second, "c ACTIVE under the new key", func() bool { return state(t, a, "node-c") == "ACTIVE" })
	pollUntil(t, 15*time.Second, "b sees a and c ACTIVE", func() bool {
		m := members(t, b)
		return strings.HasPrefix(m["node-a"], "ACTIVE") && strings.HasPrefix(m["node-c"], "ACTIVE")
	})
	if body, _ := httpGet("http://" + a.info.HTTP + "/metrics"); !strings.Contains(body, `bizra_cluster_transitions_total{to="ACTIVE"}`) ||
		strings.Contains(body, `bizra_cluster_transitions_total{to="SUSPECT"}`) {
		t.Fatal("a suspected a member during the rotation (or counts no transitions)")
	}
}

// A member joining takes over some sessions' grains; each takes its DAG
// along, so closing every session still reports all its records.
func TestSessionDAGsMoveToAJoiningMember(t *testing.T) {
	cfg := clusterYAML(t, "  - {name: echo-1, kind: echo, capabilities: [echo]}\n")
	a := startNodeProc(t, "--config", cfg, "--node-id", "node-a", "--gossip", "127.0.0.1:0")
	b := startNodeProc(t, "--config", cfg, "--node-id", "node-b", "--gossip", "127.0.0.1:0", "--join", a.info.Gossip)
	pollUntil(t, 15*time.Second, "a and b ACTIVE", func() bool { return state(t, a, "node-b") == "ACTIVE" && state(t, b, "node-a") == "ACTIVE" })
	const sessions = 12
	for i := range sessions {
		if code, _ := sendJSON(t, a.info.NATSURL, "--capability", "echo", "--input", "x", "--session", fmt.Sprint("m", i)); code != 0 {
			t.Fatal("task failed")
		}
	}
	for i := range sessions {
		id := fmt.Sprint("m", i)
		pollUntil(t, 10*time.Second, id+" linked", func() bool {
			v := bizra(t, "session", "show", id, "--nats", b.info.NATSURL)
			return v.code == 0 && strings.Contains(v.stdout, "record "+id+"/@session")
		})
	}
	c := startNodeProc(t, "--config", cfg, "--node-id", "node-c", "--gossip", "127.0.0.1:0", "--join", a.info.Gossip)
	for _, p := range []*nodeProc{a, b} {
		pollUntil(t, 15*time.Second, "c ACTIVE", func() bool { return state(t, p, "node-c") == "ACTIVE" })
	}
	pollUntil(t, 15*time.Second, "c sees a and b", func() bool { return state(t, c, "node-a") == "ACTIVE" && state(t, c, "node-b") == "ACTIVE" })
	for i := range sessions {
		id := fmt.Sprint("m", i)
		r := bizra(t, "session", "close", id, "--nats", c.info.NATSURL)
		if r.code != 0 || !strings.Contains(r.stdout, "committed: 1 records") {
			t.Fatalf("close %s after c joined: %+v\nc: %s", id, r, c.stderr)
		}
	}
	t.Logf("sessions adopted by c: %d of %d", strings.Count(c.stderr.String(), "session DAG adopted"), sessions)
}
