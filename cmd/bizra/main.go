// Command bizra runs and talks to BIZRA nodes.
//
//	bizra node --data-dir DIR [--config FILE] [--node-id ID] [--http HOST:PORT] [--nats-port PORT | --nats-url URL]
//	bizra task send --nats URL --capability CAP --input TEXT [--timeout DUR] [--json]
//	bizra agents --nats URL [--json]
//	bizra version
//
// Exit codes: 0 success (for task send: the task COMPLETED), 1 failure (any
// other final state, or the node could not be reached), 2 usage error.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "bizra:", ee.err)
		}
		return ee.code
	}
	// Anything cobra reports itself (unknown command or flag, bad
	// arguments) is a usage error.
	fmt.Fprintln(os.Stderr, "bizra:", err)
	fmt.Fprintln(os.Stderr, "Run 'bizra --help' for usage.")
	return 2
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// failure is a runtime error: exit 1.
func failure(format string, args ...any) error {
	return &exitError{code: 1, err: fmt.Errorf(format, args...)}
}

// usage is a usage error: exit 2.
func usage(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}
