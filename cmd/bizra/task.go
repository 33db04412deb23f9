package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bizra/bizra/actors/gate"
	"github.com/bizra/bizra/actors/ingress"
	"github.com/bizra/bizra/actors/router"
	"github.com/bizra/bizra/messages"
	"github.com/bizra/bizra/messages/pci"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const defaultNATS = "nats://127.0.0.1:4222"

func newTaskCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "task",
		Short: "Send TaskCards to a node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage("task needs a subcommand (send)")
		},
	}
	cmd.AddCommand(newTaskSendCmd())
	return cmd
}

func newTaskSendCmd() *cobra.Command {
	var (
		natsURL, capability, input, inputFile, mediaType, sessionID, traceID, keyPath string
		params                                                                        []string
		timeout                                                                       time.Duration
		asJSON, idempotent                                                            bool
	)
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Send one TaskCard and print its TaskResult",
		Long: `Send one TaskCard over NATS (subject bizra.task.<capability>) and print the
TaskResult. Exit 0 when the task COMPLETED, 1 for any other final state or when the
node cannot be reached, 2 for usage errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if capability == "" {
				return usage("--capability is required")
			}
			if !router.ValidName(capability) {
				return usage("--capability %q: use 1-128 characters from [A-Za-z0-9_-]", capability)
			}
			if timeout <= 0 {
				return usage("--timeout must be > 0")
			}
			f := cmd.Flags()
			if f.Changed("input") && f.Changed("input-file") {
				return usage("--input and --input-file exclude each other")
			}
			data := []byte(input)
			if inputFile != "" {
				var err error
				if inputFile == "-" {
					data, err = readAllStdin()
				} else {
					data, err = os.ReadFile(inputFile)
				}
				if err != nil {
					return failure("reading input: %v", err)
				}
			}
			parameters := map[string]string{}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return usage("--param %q: want KEY=VALUE", p)
				}
				parameters[k] = v
			}
			now := time.Now()
			card := &messages.TaskCard{
				Id: router.NewID(), Capability: capability, Input: data, MediaType: mediaType,
				Parameters: parameters, SessionId: sessionID, TraceId: traceID, Idempotent: idempotent,
				Deadline:  timestamppb.New(now.Add(timeout)),
				CreatedAt: timestamppb.New(now),
				Requester: &messages.Identity{Name: "bizra-cli", Type: messages.AgentType_AGENT_TYPE_USER},
			}
			if card.TraceId == "" {
				card.TraceId = card.Id
			}
			key, err := pci.LoadOrCreateKey(keyPath)
			if err != nil {
				return failure("client key: %v", err)
			}
			card.Requester.Name = pci.PublicKeyID(key.Public().(ed25519.PublicKey))
			payload, err := proto.Marshal(card)
			if err != nil {
				return failure("encode: %v", err)
			}
			env, err := sealCard(key, card, payload, timeout, now)
			if err != nil {
				return failure("seal: %v", err)
			}
			nc, err := nats.Connect(natsURL, nats.Name("bizra-cli"), nats.Timeout(5*time.Second))
			if err != nil {
				return failure("connect %s: %v", natsURL, err)
			}
			defer nc.Close()
			req := nats.NewMsg("bizra.task." + capability)
			req.Header.Set(ingress.HeaderEnvelope, "v1")
			req.Data = env
			// Allow the node a moment past the deadline to report that the
			// deadline passed.
			msg, err := nc.RequestMsg(req, timeout+2*time.Second)
			switch {
			case errors.Is(err, nats.ErrNoResponders):
				return failure("no node serves bizra.task.%s on %s", capability, natsURL)
			case err != nil:
				return failure("request: %v", err)
			}
			var res messages.TaskResult
			if msg.Header.Get(ingress.HeaderEnvelope) != "" {
				r, renv, err := ingress.OpenResult(msg.Data, time.Now())
				if err != nil {
					return failure("node's result envelope does not verify: %v", err)
				}
				proto.Merge(&res, r)
				if !asJSON {
					fmt.Fprintf(cmd.ErrOrStderr(), "signed by %s (ihsan %.4f, snr %.4f)\n",
						pci.PublicKeyID(renv.GetSignerPublicKey()), renv.GetIhsanScore(), renv.GetSnrScore())
				}
			} else if err := proto.Unmarshal(msg.Data, &res); err != nil {
				return failure("node answered with a malformed TaskResult: %v", err)
			}
			printResult(cmd, &res, asJSON)
			if res.GetState() != messages.TaskState_TASK_STATE_COMPLETED {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&natsURL, "nats", defaultNATS, "NATS URL of a node")
	f.StringVar(&capability, "capability", "", "capability the task needs (required)")
	f.StringVar(&input, "input", "", "task input as text")
	f.StringVar(&inputFile, "input-file", "", "read the task input from a file ('-' for stdin)")
	f.StringVar(&mediaType, "media-type", "text/plain", "media type of the input")
	f.StringArrayVar(&params, "param", nil, "parameter KEY=VALUE (repeatable)")
	f.StringVar(&sessionID, "session", "", "session id")
	f.StringVar(&traceID, "trace-id", "", "trace id (default: the task id)")
	f.BoolVar(&idempotent, "idempotent", false, "mark the task safe to run twice")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "deadline, from now")
	f.BoolVar(&asJSON, "json", false, "print the TaskResult as protojson")
	f.StringVar(&keyPath, "key", defaultKeyPath(), "client key that signs the TaskCard (created if missing)")
	return cmd
}

// sealCard wraps the card's exact bytes in a PCI envelope signed by key.
// ihsan is the local FATE gate's score of the card; snr is measured.
func sealCard(key ed25519.PrivateKey, card *messages.TaskCard, payload []byte, timeout time.Duration, now time.Time) ([]byte, error) {
	g, err := gate.New(gate.DefaultConfig())
	if err != nil {
		return nil, err
	}
	d := g.Evaluate(gate.Request{Tool: gate.ToolTask, Input: gate.Input{Content: string(card.GetInput())},
		Context: gate.RequestContext{Requester: card.GetRequester().GetName(), SessionID: card.GetSessionId()}}, now)
	ttl := (timeout + time.Second - 1).Truncate(time.Second)
	if ttl > pci.DefaultMaxTTL {
		ttl = pci.DefaultMaxTTL
	}
	env, err := pci.Seal(key, messages.AgentType_AGENT_TYPE_USER, ingress.PayloadTaskCard, payload, d.Score, pci.SNR(payload), ttl, now, nil)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(env)
}

func printResult(cmd *cobra.Command, res *messages.TaskResult, asJSON bool) {
	out := cmd.OutOrStdout()
	if asJSON {
		data, _ := protojson.MarshalOptions{Multiline: true}.Marshal(res)
		fmt.Fprintln(out, string(data))
		return
	}
	state := strings.TrimPrefix(res.GetState().String(), "TASK_STATE_")
	if res.GetState() == messages.TaskState_TASK_STATE_COMPLETED {
		out.Write(res.GetOutput())
		if n := len(res.GetOutput()); n == 0 || res.GetOutput()[n-1] != '\n' {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%s task=%s agent=%s node=%s\n", state, res.GetTaskId(), res.GetAgent(), res.GetNodeId())
		return
	}
	fmt.Fprintf(out, "%s %s: %s (task=%s node=%s)\n", state, res.GetErrorCode(), res.GetErrorMessage(), res.GetTaskId(), res.GetNodeId())
}

func readAllStdin() ([]byte, error) { return io.ReadAll(os.Stdin) }
