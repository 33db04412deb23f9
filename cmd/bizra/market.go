package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bizra/bizra/actors/market"
	"github.com/bizra/bizra/messages/pci"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
)

// marketFlags are shared by every market subcommand.
type marketFlags struct {
	natsURL, httpURL, keyPath string
	asJSON                    bool
	timeout                   time.Duration
}

func (mf *marketFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&mf.natsURL, "nats", defaultNATS, "NATS URL of a node")
	f.StringVar(&mf.httpURL, "http", "", "HTTP URL of a node (instead of NATS)")
	f.StringVar(&mf.keyPath, "key", defaultKeyPath(), "client key that signs the request (created if missing)")
	f.BoolVar(&mf.asJSON, "json", false, "print the node's JSON answer")
	f.DurationVar(&mf.timeout, "timeout", 5*time.Second, "how long to wait for the node")
}

// call signs req with the client key, sends it and returns the answer.
func (mf *marketFlags) call(req market.Request) (market.Response, ed25519.PublicKey, error) {
	var resp market.Response
	key, err := pci.LoadOrCreateKey(mf.keyPath)
	if err != nil {
		return resp, nil, failure("client key: %v", err)
	}
	pub := key.Public().(ed25519.PublicKey)
	env, err := market.SealRequest(key, req, time.Minute, time.Now())
	if err != nil {
		return resp, pub, failure("seal: %v", err)
	}
	var body []byte
	if mf.httpURL != "" {
		base := httpBase(mf.httpURL)
		client := &http.Client{Timeout: mf.timeout}
		hr, err := client.Post(base+market.HTTPPrefix+req.Verb, "application/x-protobuf", bytes.NewReader(env))
		if err != nil {
			return resp, pub, failure("%v", err)
		}
		defer hr.Body.Close()
		if body, err = io.ReadAll(hr.Body); err != nil {
			return resp, pub, failure("%v", err)
		}
	} else {
		nc, err := nats.Connect(mf.natsURL, nats.Name("bizra-cli"), nats.Timeout(5*time.Second))
		if err != nil {
			return resp, pub, failure("connect %s: %v", mf.natsURL, err)
		}
		defer nc.Close()
		msg := nats.NewMsg(market.SubjectPrefix + req.Verb)
		msg.Header.Set(market.HeaderEnvelope, "v1")
		msg.Data = env
		reply, err := nc.RequestMsg(msg, mf.timeout)
		switch {
		case errors.Is(err, nats.ErrNoResponders):
			return resp, pub, failure("no node serves the market on %s", mf.natsURL)
		case err != nil:
			return resp, pub, failure("request: %v", err)
		}
		body = reply.Data
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return resp, pub, failure("node answered with malformed JSON: %v", err)
	}
	return resp, pub, nil
}

// finish prints the answer and sets the exit code: 1 when the node
// refused the request.
func (mf *marketFlags) finish(cmd *cobra.Command, resp market.Response, human func(io.Writer)) error {
	out := cmd.OutOrStdout()
	if mf.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(resp)
	}
	if !resp.OK {
		msg := "refused"
		if resp.Error != nil {
			msg = resp.Error.Code + ": " + resp.Error.Message
		}
		return failure("%s", msg)
	}
	if !mf.asJSON {
		human(out)
	}
	return nil
}

func newMarketCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "market",
		Short: "The compute market: licenses, Harberger tax, credits, Gini",
		Long: `Every request is signed with the client key and sent over NATS (--nats, default) or HTTP
(--http). Amounts are credits with up to six decimals (1 credit = 1,000,000 µcredits).
Exit 0 when the node accepted the request, 1 when it refused it (the reason is printed),
2 on usage errors.`,
	}
	cmd.AddCommand(newMarketStatusCmd(), newMarketLicensesCmd(), newMarketAssessCmd(), newMarketBuyCmd(), newMarketBalanceCmd())
	return cmd
}

func newMarketStatusCmd() *cobra.Command {
	var mf marketFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Supply, tax pool, Gini and license counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, _, err := mf.call(market.Request{Verb: "status"})
			if err != nil {
				return err
			}
			return mf.finish(cmd, resp, func(w io.Writer) {
				s := resp.Status
				if s == nil {
					return
				}
				fmt.Fprintf(w, "supply        %s credits\ntax pool      %s credits\ntax collected %s credits\n", s.Supply, s.TaxPool, s.TaxCollected)
				fmt.Fprintf(w, "gini          %.4f (limit %.2f)\nlicenses      %d (%d held)\naccounts      %d\nledger        %d entries\n",
					s.Gini, s.MaxGini, s.Licenses, s.Held, s.Accounts, s.Entries)
				fmt.Fprintf(w, "tax rate      %.2f %%/year\nepoch         %d (next %s)\n", float64(s.TaxRatePPM)/1e4, s.Epoch, s.NextEpoch.Format(time.RFC3339))
			})
		},
	}
	mf.add(cmd)
	return cmd
}

func newMarketLicensesCmd() *cobra.Command {
	var mf marketFlags
	cmd := &cobra.Command{
		Use:   "licenses",
		Short: "Every license: holder, declared value, tax due",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, _, err := mf.call(market.Request{Verb: "licenses"})
			if err != nil {
				return err
			}
			return mf.finish(cmd, resp, func(out io.Writer) {
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tKIND\tHOLDER\tVALUE\tTAX/YEAR\tDUE")
				for _, l := range resp.Licenses {
					holder := l.HolderName
					if holder == "" {
						holder = l.Holder
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.Kind, dash(holder), l.Value, l.YearlyTax, l.Due)
				}
				_ = w.Flush()
			})
		},
	}
	mf.add(cmd)
	return cmd
}

func parseCredits(arg, what string) (market.Micro, error) {
	v, err := market.ParseCredits(arg)
	if err != nil {
		return 0, usage("%s: %v", what, err)
	}
	return v, nil
}

func printReceipt(w io.Writer, r *market.Receipt) {
	if r == nil {
		return
	}
	for _, e := range r.Entries {
		data, _ := json.Marshal(e)
		fmt.Fprintf(w, "entry %s\n", data)
	}
	if r.GiniAfter != 0 {
		fmt.Fprintf(w, "gini %.4f -> %.4f\n", r.GiniBefore, r.GiniAfter)
	}
}

func newMarketAssessCmd() *cobra.Command {
	var mf marketFlags
	cmd := &cobra.Command{
		Use:   "assess ID VALUE",
		Short: "Declare a new value for a license you hold (tax follows the value)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := parseCredits(args[1], "VALUE")
			if err != nil {
				return err
			}
			resp, _, err := mf.call(market.Request{Verb: "assess", License: args[0], Value: v})
			if err != nil {
				return err
			}
			return mf.finish(cmd, resp, func(w io.Writer) {
				fmt.Fprintf(w, "license %s now declared at %s credits\n", args[0], v)
				printReceipt(w, resp.Receipt)
			})
		},
	}
	mf.add(cmd)
	return cmd
}

func newMarketBuyCmd() *cobra.Command {
	var (
		mf       marketFlags
		newValue string
	)
	cmd := &cobra.Command{
		Use:   "buy ID VALUE",
		Short: "Buy a license at its declared VALUE (forced sale); you then declare --declare (default VALUE)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			price, err := parseCredits(args[1], "VALUE")
			if err != nil {
				return err
			}
			declare := price
			if newValue != "" {
				if declare, err = parseCredits(newValue, "--declare"); err != nil {
					return err
				}
			}
			resp, _, err := mf.call(market.Request{Verb: "buy", License: args[0], ExpectedPrice: price, Value: declare})
			if err != nil {
				return err
			}
			return mf.finish(cmd, resp, func(w io.Writer) {
				fmt.Fprintf(w, "bought license %s for %s credits; declared at %s\n", args[0], price, declare)
				printReceipt(w, resp.Receipt)
			})
		},
	}
	mf.add(cmd)
	cmd.Flags().StringVar(&newValue, "declare", "", "value to declare once the license is yours (default: the price)")
	return cmd
}

func newMarketBalanceCmd() *cobra.Command {
	var mf marketFlags
	cmd := &cobra.Command{
		Use:   "balance [KEY]",
		Short: "Credits and licenses of an identity (default: this client's key)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := market.Request{Verb: "balance"}
			if len(args) == 1 {
				req.Account = args[0]
			}
			resp, _, err := mf.call(req)
			if err != nil {
				return err
			}
			return mf.finish(cmd, resp, func(w io.Writer) {
				if b := resp.Balance; b != nil {
					fmt.Fprintf(w, "%s  %s credits  licenses: %s\n", b.Account, b.Balance, dash(strings.Join(b.Licenses, ",")))
				}
			})
		},
	}
	mf.add(cmd)
	return cmd
}
