// Package shell is the agent kind "shell": it runs a shell command that the
// FATE gate allowed, and nothing else.
//
// The TaskCard's input is the command. The handler first asks the gate
// (tool Bash, with the card's requester and session); a BLOCK ends the task
// REJECTED with E_GATE_BLOCKED and the rule that decided, and the command is
// never started. An allowed command runs with /bin/sh -c:
//
//   - in the agent's sandbox working directory (DATA_DIR/sandbox/<agent> by
//     default), created with mode 0700;
//   - with a scrubbed environment: only PATH, HOME (the sandbox), LANG and
//     TMPDIR, nothing inherited from the node;
//   - in its own process group, killed as a group when the timeout or the
//     task's deadline passes (E_SHELL_TIMEOUT);
//   - with stdout as the task's output, capped at MaxOutput bytes
//     (E_SHELL_OUTPUT_LIMIT when exceeded; the first MaxOutput bytes are kept);
//   - a non-zero exit ends the task FAILED with E_SHELL_EXIT, the exit code
//     and the start of stderr.
//
// Configuration (agent options in the node config): timeout (duration,
// default 30s), max_output (bytes, default 1 MiB), workdir.
package shell
