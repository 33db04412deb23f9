package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bizra/bizra/runtime"
	"github.com/spf13/cobra"
)

func newMembersCmd() *cobra.Command {
	var (
		httpURL string
		asJSON  bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "members",
		Short: "List the cluster members a node sees: id, addresses, state, capabilities",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base := httpBase(httpURL)
			client := &http.Client{Timeout: timeout}
			resp, err := client.Get(base + "/v1/members")
			if err != nil {
				return failure("%v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return failure("%s/v1/members: %s", base, resp.Status)
			}
			var ms runtime.MembersJSON
			if err := json.NewDecoder(resp.Body).Decode(&ms); err != nil {
				return failure("node answered with malformed JSON: %v", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(ms)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tPHI\tGOSSIP\tREMOTE\tHTTP\tCAPABILITIES\tREASON")
			for _, m := range ms.Members {
				id := m.ID
				if m.Self {
					id += " (self)"
				}
				fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\n", id, m.State, m.Phi, dash(m.Gossip), dash(m.Meta.Remote),
					dash(m.Meta.HTTP), dash(strings.Join(m.Meta.Capabilities, ",")), dash(m.Reason))
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&httpURL, "http", "http://"+runtime.DefaultHTTP, "HTTP URL of a node")
	f.BoolVar(&asJSON, "json", false, "print the members as JSON")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the node")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
