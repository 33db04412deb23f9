package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bizra/bizra/messages"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
)

func newAgentsCmd() *cobra.Command {
	var (
		natsURL string
		asJSON  bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "agents",
		Short: "List the agents of a node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list messages.AgentList
			if err := natsRequest(natsURL, "bizra.agent.list", &messages.AgentListRequest{}, &list, timeout); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				data, _ := protojson.MarshalOptions{Multiline: true}.Marshal(&list)
				fmt.Fprintln(out, string(data))
				return nil
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tKIND\tCAPABILITIES\tIN-FLIGHT\tNODE")
			for _, a := range list.GetAgents() {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d/%d\t%s\n", a.GetName(), a.GetKind(), strings.Join(a.GetCapabilities(), ","), a.GetInFlight(), a.GetCapacity(), a.GetNodeId())
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&natsURL, "nats", defaultNATS, "NATS URL of a node")
	f.BoolVar(&asJSON, "json", false, "print the AgentList as protojson")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the node")
	return cmd
}
