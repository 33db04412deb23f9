package main

import (
	"fmt"
	"io"
	"os"

	"github.com/bizra/bizra/actors/session"
	"github.com/bizra/bizra/messages"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
)

func newSessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Check session records",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usage("session needs a subcommand (verify)")
		},
	}
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
