package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bizra/bizra/messages/pci"
	"github.com/spf13/cobra"
)

// defaultKeyPath is the CLI's client key: $BIZRA_KEY, else
// <user config dir>/bizra/client.key.
func defaultKeyPath() string {
	if p := os.Getenv("BIZRA_KEY"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "bizra", "client.key")
}

func newKeysCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the CLI's Ed25519 client key (signs every TaskCard it sends)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usage("keys needs a subcommand (init, show)")
		},
	}
	cmd.PersistentFlags().StringVar(&path, "key", defaultKeyPath(), "key file (mode 0600); $BIZRA_KEY overrides the default")
	show := func(cmd *cobra.Command, create bool) error {
		if !create {
			if _, err := os.Stat(path); err != nil {
				return failure("no key at %s (run 'bizra keys init')", path)
			}
		}
		key, err := pci.LoadOrCreateKey(path)
		if err != nil {
			return failure("%v", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", pci.PublicKeyID(key.Public().(ed25519.PublicKey)), path)
		return nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "init",
		Short: "Create the client key if it does not exist, and print its public key",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return show(cmd, true) },
	}, &cobra.Command{
		Use:   "show",
		Short: "Print the client key's public key",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return show(cmd, false) },
	})
	return cmd
}
