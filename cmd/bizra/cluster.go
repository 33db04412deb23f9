package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/bizra/bizra/messages/pci"
	"github.com/bizra/bizra/runtime"
	"github.com/spf13/cobra"
)

func newClusterCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Cluster administration (gossip encryption keys)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return usage("cluster needs a subcommand (keys)") },
	}
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Gossip keys: generate, list, install, use, remove",
		Long: `Gossip between members is encrypted with the keys in cluster.keys (the first is used to
encrypt, all are tried to decrypt). Rotate without downtime: 'install' the new key on every
member, then 'use' it on every member, then 'remove' the old one. Changes are signed with the
node's own key (DATA_DIR/keys/node.key), so run them on the node's machine with --data-dir.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usage("keys needs a subcommand (generate, list, install, use, remove)")
		},
	}
	keys.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print a new random 32-byte gossip key (base64)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				return failure("%v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(b))
			return nil
		},
	})
	keys.AddCommand(newClusterKeysListCmd())
	for _, op := range []string{"install", "use", "remove"} {
		keys.AddCommand(newClusterKeyOpCmd(op))
	}
	cmd.AddCommand(keys)
	return cmd
}

// nodeHTTP is --http, or the address in DATA_DIR/node.json.
func nodeHTTP(httpURL, dataDir string) (string, error) {
	if httpURL == "" {
		info, err := runtime.ReadInfo(dataDir)
		if err != nil {
			return "", usage("no --http and no running node in %s: %v", dataDir, err)
		}
		httpURL = info.HTTP
	}
	return httpBase(httpURL), nil
}

func printGossipKeys(cmd *cobra.Command, k runtime.GossipKeys, asJSON bool) {
	if asJSON {
		_ = json.NewEncoder(cmd.OutOrStdout()).Encode(k)
		return
	}
	for _, f := range k.Keys {
		mark := ""
		if f == k.Primary {
			mark = "  (primary)"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s%s\n", f, mark)
	}
}

func newClusterKeysListCmd() *cobra.Command {
	var (
		httpURL, dataDir string
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Fingerprints of the node's gossip keys, the primary marked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := nodeHTTP(httpURL, dataDir)
			if err != nil {
				return err
			}
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/v1/cluster/keys")
			if err != nil {
				return failure("%v", err)
			}
			defer resp.Body.Close()
			var k runtime.GossipKeys
			if err := json.NewDecoder(resp.Body).Decode(&k); err != nil {
				return failure("node answered with malformed JSON: %v", err)
			}
			if k.Error != "" {
				return failure("%s", k.Error)
			}
			printGossipKeys(cmd, k, asJSON)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&httpURL, "http", "", "HTTP URL of the node (default: from DATA_DIR/node.json)")
	f.StringVar(&dataDir, "data-dir", "bizra-data", "the node's data directory")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newClusterKeyOpCmd(op string) *cobra.Command {
	var (
		httpURL, dataDir string
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use: op + " KEY",
		Short: map[string]string{"install": "Add a gossip key (decrypts; not yet used to encrypt)",
			"use": "Encrypt gossip with an installed key", "remove": "Remove a gossip key that is not in use"}[op],
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := nodeHTTP(httpURL, dataDir)
			if err != nil {
				return err
			}
			key, err := pci.LoadOrCreateKey(filepath.Join(dataDir, "keys", "node.key"))
			if err != nil {
				return failure("node key: %v", err)
			}
			body, err := runtime.SealGossipKeyRequest(key, runtime.GossipKeyRequest{Op: op, Key: args[0]}, time.Now())
			if err != nil {
				return failure("seal: %v", err)
			}
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Post(base+"/v1/cluster/keys", "application/x-protobuf", bytes.NewReader(body))
			if err != nil {
				return failure("%v", err)
			}
			defer resp.Body.Close()
			var k runtime.GossipKeys
			if err := json.NewDecoder(resp.Body).Decode(&k); err != nil {
				return failure("node answered with malformed JSON: %v", err)
			}
			if resp.StatusCode != http.StatusOK {
				return failure("%s", k.Error)
			}
			printGossipKeys(cmd, k, asJSON)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&httpURL, "http", "", "HTTP URL of the node (default: from DATA_DIR/node.json)")
	f.StringVar(&dataDir, "data-dir", "bizra-data", "the node's data directory (its key signs the change)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
