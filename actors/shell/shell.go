package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/bizra/bizra/actors/agent"
	"github.com/bizra/bizra/actors/gate"
	"github.com/bizra/bizra/messages"
)

// Config configures one shell agent.
type Config struct {
	// Workdir is the sandbox working directory (created 0700).
	Workdir string
	// Timeout bounds one command (the task's deadline may cut it shorter).
	Timeout time.Duration
	// MaxOutput caps the stdout kept as the task's output, in bytes.
	MaxOutput int
	// Path is the PATH the command sees.
	Path string
}

// DefaultConfig returns a 30 s timeout and a 1 MiB output cap; Workdir must
// be set.
func DefaultConfig() Config {
	return Config{Timeout: 30 * time.Second, MaxOutput: 1 << 20, Path: "/usr/local/bin:/usr/bin:/bin"}
}

// Validate names the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Workdir == "":
		return fmt.Errorf("%w: workdir must be set", ErrInvalidConfig)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: timeout must be > 0", ErrInvalidConfig)
	case c.MaxOutput <= 0:
		return fmt.Errorf("%w: max_output must be > 0", ErrInvalidConfig)
	}
	return nil
}

// Handler runs gated shell commands.
type Handler struct {
	cfg  Config
	gate *gate.Gate
	log  *gate.Log
	now  func() time.Time
}

// WithLog records every gate decision in l (the node's fate_gate.jsonl).
func (h *Handler) WithLog(l *gate.Log) *Handler {
	h.log = l
	return h
}

// New returns a shell handler; it creates the sandbox directory.
func New(cfg Config, g *gate.Gate) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("%w: a gate is required", ErrInvalidConfig)
	}
	if err := os.MkdirAll(cfg.Workdir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: workdir: %w", ErrInvalidConfig, err)
	}
	return &Handler{cfg: cfg, gate: g, now: time.Now}, nil
}

// Factory returns the agent.Factory for kind "shell". Sandboxes live under
// sandboxRoot/<agent name> unless the agent's options name a workdir;
// decisions go to log when it is not nil.
func Factory(g *gate.Gate, log *gate.Log, sandboxRoot string) agent.Factory {
	return func(spec agent.Spec) (agent.Handler, error) {
		cfg := DefaultConfig()
		cfg.Workdir = filepath.Join(sandboxRoot, spec.Name)
		for k, v := range spec.Options {
			switch k {
			case "workdir":
				cfg.Workdir = v
			case "timeout":
				d, err := time.ParseDuration(v)
				if err != nil {
					return nil, fmt.Errorf("%w: timeout: %v", ErrInvalidConfig, err)
				}
				cfg.Timeout = d
			case "max_output":
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, fmt.Errorf("%w: max_output: %v", ErrInvalidConfig, err)
				}
				cfg.MaxOutput = n
			default:
				return nil, fmt.Errorf("%w: unknown option %q (workdir, timeout, max_output)", ErrInvalidConfig, k)
			}
		}
		h, err := New(cfg, g)
		if err != nil {
			return nil, err
		}
		return h.WithLog(log), nil
	}
}

// Handle implements agent.Handler.
func (h *Handler) Handle(ctx context.Context, card *messages.TaskCard) (agent.Output, error) {
	command := string(card.GetInput())
	d := h.gate.Check(gate.Request{
		Tool:    gate.ToolBash,
		Input:   gate.Input{Command: command},
		Context: gate.RequestContext{Requester: card.GetRequester().GetName(), SessionID: card.GetSessionId()},
	}, h.now())
	if h.log != nil {
		_ = h.log.LogDecision(d)
	}
	// The verdict joins the task's governance record (and its proof).
	gov := &messages.Governance{Gate: []*messages.GateVerdict{d.Record()}}
	if !d.Allowed() {
		return agent.Output{Governance: gov}, &agent.RejectError{Code: gate.CodeBlocked, Message: d.Reason}
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = h.cfg.Workdir
	cmd.Env = []string{"PATH=" + h.cfg.Path, "HOME=" + h.cfg.Workdir, "LANG=C.UTF-8", "TMPDIR=" + h.cfg.Workdir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout := &capped{max: h.cfg.MaxOutput}
	stderr := &capped{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return agent.Output{Governance: gov}, &agent.FailError{Code: CodeStart, Message: err.Error()}
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	var err error
	select {
	case err = <-waitErr:
	case <-ctx.Done():
		// Kill the whole process group: the shell and whatever it started.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waitErr
		return agent.Output{Data: stdout.Bytes(), MediaType: "text/plain", Governance: gov}, &agent.FailError{Code: CodeTimeout,
			Message: fmt.Sprintf("command killed after %s: %v", h.cfg.Timeout, ctx.Err())}
	}
	out := agent.Output{Data: stdout.Bytes(), MediaType: "text/plain", Governance: gov}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return out, &agent.FailError{Code: CodeExit, Message: fmt.Sprintf("exit status %d: %s", exitErr.ExitCode(), bytes.TrimSpace(stderr.Bytes()))}
	case err != nil:
		return out, &agent.FailError{Code: CodeStart, Message: err.Error()}
	case stdout.over:
		return out, &agent.FailError{Code: CodeOutputLimit, Message: fmt.Sprintf("output exceeded %d bytes; the first %d are kept", h.cfg.MaxOutput, h.cfg.MaxOutput)}
	}
	return out, nil
}

// capped keeps the first max bytes written and notes whether more came.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

func (c *capped) Bytes() []byte { return c.buf.Bytes() }
