package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/bizra/bizra/actors/gate"
	"github.com/spf13/cobra"
)

func newGateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Ask the FATE gate about a tool call",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usage("gate needs a subcommand (check)")
		},
	}
	cmd.AddCommand(newGateCheckCmd())
	return cmd
}

func newGateCheckCmd() *cobra.Command {
	var (
		tool, input, path string
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check one tool call against the FATE gate; exit 0 allow, 1 block",
		Long: `Check one tool call against the FATE gate with the default configuration.
--input is the command for Bash, the URL for WebFetch, and the content for Write and
Edit (with --path naming the file). Exit 0 when allowed, 1 when blocked (the reason,
naming the rule, is printed), 2 for usage errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tool == "" {
				return usage("--tool is required (Bash, Write, Edit, WebFetch, ...)")
			}
			if !cmd.Flags().Changed("input") {
				return usage("--input is required")
			}
			g, err := gate.New(gate.DefaultConfig())
			if err != nil {
				return failure("%v", err)
			}
			in := gate.Input{}
			switch tool {
			case gate.ToolBash:
				in.Command = input
			case gate.ToolWebFetch:
				in.URL = input
			case gate.ToolWrite, gate.ToolEdit:
				in.Content, in.Path = input, path
			default:
				in.Command, in.Content, in.Path = input, input, path
			}
			d := g.Check(gate.Request{Tool: tool, Input: in,
				Context: gate.RequestContext{Requester: "bizra-cli", SessionID: "gate-check"}}, time.Now())
			out := cmd.OutOrStdout()
			if asJSON {
				data, _ := json.MarshalIndent(d, "", "  ")
				fmt.Fprintln(out, string(data))
			} else {
				verdict := "ALLOW"
				if !d.Allowed() {
					verdict = "BLOCK"
				}
				fmt.Fprintf(out, "%s %s score=%.4f threshold=%.2f: %s\n", verdict, d.Rule, d.Score, d.Threshold, d.Reason)
			}
			if !d.Allowed() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&tool, "tool", "", "tool name: Bash, Write, Edit, WebFetch")
	f.StringVar(&input, "input", "", "the command, URL or content")
	f.StringVar(&path, "path", "", "file path (Write, Edit)")
	f.BoolVar(&asJSON, "json", false, "print the decision as JSON")
	return cmd
}
