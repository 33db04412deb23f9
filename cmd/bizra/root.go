package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "bizra",
		Short:         "BIZRA: a runtime for governed multi-agent AI",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newNodeCmd(), newTaskCmd(), newAgentsCmd(), newGateCmd(), newKeysCmd(), newSessionCmd(), newMembersCmd(), newClusterCmd(), newMarketCmd(), newModelCmd(), newInferCmd(), newVersionCmd())
	return root
}
