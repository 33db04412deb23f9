package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
)

func newSessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Check, show and close sessions",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usage("session needs a subcommand (show, verify, close)")
		},
	}
	cmd.AddCommand(newSessionShowCmd(), newSessionCloseCmd())
	cmd.AddCommand(&cobra.Command{
		Use:   "verify FILE",
		Short: "Verify the proof in a TaskResult printed by 'bizra task send --json' ('-' reads stdin)",
		Long: `Verify, offline, the session proof carried by a TaskResult (the JSON that
'bizra task send --json' prints): the Merkle-DAG lineage hashes, its transitions,
and that its validated node holds this result's digest. Exit 0 when it verifies,
1 when anything was altered (the message names what failed), 2 for usage errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				data []byte
				err  error
			)
			if args[0] == "-" {
				data, err = io.ReadAll(cmd.InOrStdin())
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return failure("%v", err)
			}
			var res messages.TaskResult
			if err := protojson.Unmarshal(data, &res); err != nil {
				return failure("not a TaskResult: %v", err)
			}
			if res.GetProof() == nil {
				return failure("the result carries no session proof")
			}
			p, err := session.ProofFromProto(res.GetProof())
			if err == nil {
				err = session.ProofCoversResult(p, &res)
			}
			if err != nil {
				return failure("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OK record %s: %d nodes, head %s (%s), covers task %s (%s)\n",
				p.SessionID, len(p.Nodes), p.Head, p.State(), res.GetTaskId(), res.GetState())
			return nil
		},
	})
	return cmd
}

func newSessionShowCmd() *cobra.Command {
	var (
		natsURL string
		asJSON  bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Print a session's task records (states, decisions, log receipts), each proof checked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var recs messages.SessionRecords
			if err := natsRequest(natsURL, "bizra.session.show", &messages.SessionShowRequest{SessionId: args[0]}, &recs, timeout); err != nil {
				return err
			}
			if recs.GetError() != "" {
				return failure("node %s: %s", recs.GetNodeId(), recs.GetError())
			}
			out := cmd.OutOrStdout()
			if asJSON {
				data, _ := protojson.MarshalOptions{Multiline: true}.Marshal(&recs)
				fmt.Fprintln(out, string(data))
			}
			bad, total := 0, 0
			for _, part := range append([]*messages.SessionRecords{&recs}, recs.GetMembers()...) {
				if !asJSON && part != &recs && len(part.GetRecords()) > 0 {
					fmt.Fprintf(out, "-- kept by member %s\n", part.GetNodeId())
				}
				b := printRecords(out, part, asJSON)
				bad, total = bad+b, total+len(part.GetRecords())
			}
			if total == 0 {
				return failure("session %q has no records on node %s or its members", args[0], recs.GetNodeId())
			}
			if bad > 0 {
				return failure("%d of %d records do not verify", bad, total)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&natsURL, "nats", defaultNATS, "NATS URL of a node")
	f.BoolVar(&asJSON, "json", false, "print the records as protojson")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the node")
	return cmd
}

// printRecords prints (unless asJSON) and checks one node's records of a
// session: each proof, and each receipt against the node's key. It
// returns how many do not verify.
func printRecords(out io.Writer, recs *messages.SessionRecords, asJSON bool) int {
	nodeKey, keyErr := pci.ParsePublicKeyID(recs.GetNodeKey())
	bad := 0
	for i, r := range recs.GetRecords() {
		p, err := session.ProofFromProto(r)
		if err == nil {
			err = session.VerifyProof(p)
		}
		var receipt *session.Receipt
		if err == nil && i < len(recs.GetReceipts()) && recs.GetReceipts()[i] != "" {
			receipt, err = session.DecodeReceiptJSON([]byte(recs.GetReceipts()[i]))
			if err == nil && keyErr != nil {
				err = fmt.Errorf("node key %q: %w", recs.GetNodeKey(), keyErr)
			}
			if err == nil {
				err = session.VerifyReceiptFor(nodeKey, receipt, p)
			}
		}
		if err != nil {
			bad++
		}
		if asJSON {
			continue
		}
		verdict := "verified"
		if err != nil {
			verdict = "INVALID: " + err.Error()
		}
		fmt.Fprintf(out, "record %s  (%s)\n", r.GetSessionId(), verdict)
		if p == nil {
			continue
		}
		for _, n := range p.Nodes {
			fmt.Fprintf(out, "  %-10s %s  payload %s\n", n.State, n.Time().Format(time.RFC3339Nano), n.PayloadHash.String()[:16])
		}
		if i < len(recs.GetGovernance()) {
			g := recs.GetGovernance()[i]
			for _, v := range g.GetGate() {
				verdict := "ALLOW"
				if !v.GetAllowed() {
					verdict = "BLOCK"
				}
				fmt.Fprintf(out, "  gate %-5s %s  score %.3f (threshold %.2f; F %.2f A %.2f T %.2f E %.2f)  rule %s: %s\n",
					v.GetTool(), verdict, v.GetScore(), v.GetThreshold(), v.GetFidelity(), v.GetAccountability(),
					v.GetTransparency(), v.GetEthics(), v.GetRule(), v.GetReason())
			}
			if n := g.GetNtu(); n != nil {
				fmt.Fprintf(out, "  ntu  %s observation %.3f\n", n.GetAgent(), n.GetObservation())
			}
			if r := g.GetInference(); r != nil {
				fmt.Fprintf(out, "  llm  tier %s model %s backend %s tokens %d+%d  route: %s\n", r.GetTier(), r.GetModel(), r.GetBackend(),
					r.GetPromptTokens(), r.GetCompletionTokens(), strings.Join(r.GetDecisions(), "; "))
			}
			if a := g.GetAnomaly(); a != nil {
				fmt.Fprintf(out, "  ntu  ANOMALY %s agent %s task %s: value %.3f belief %.3f entropy %.3f potential %.3f\n",
					strings.Join(a.GetAnomalies(), ","), a.GetAgent(), a.GetTaskId(), a.GetValue(), a.GetBelief(), a.GetEntropy(), a.GetPotential())
			}
		}
		if receipt != nil {
			fmt.Fprintf(out, "  log  leaf %d of checkpoint size %d (signed by %s)\n", receipt.Index, receipt.Checkpoint.Size, recs.GetNodeKey())
		} else {
			fmt.Fprintf(out, "  log  not yet covered by a signed checkpoint\n")
		}
	}
	return bad
}

func newSessionCloseCmd() *cobra.Command {
	var (
		natsURL string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "close ID",
		Short: "Commit a session (computing → validated → committed); it then takes no more tasks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h messages.SessionHead
			if err := natsRequest(natsURL, "bizra.session.close", &messages.SessionClose{SessionId: args[0]}, &h, timeout); err != nil {
				return err
			}
			if h.GetError() != "" {
				return failure("%s", h.GetError())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "session %s committed: %d records, head %x\n", h.GetSessionId(), h.GetRecords(), h.GetHead())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&natsURL, "nats", defaultNATS, "NATS URL of a node")
	f.DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the node")
	return cmd
}
