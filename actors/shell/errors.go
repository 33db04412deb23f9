package shell

import "errors"

// Wire codes of shell task outcomes.
const (
	CodeTimeout     = "E_SHELL_TIMEOUT"
	CodeOutputLimit = "E_SHELL_OUTPUT_LIMIT"
	CodeExit        = "E_SHELL_EXIT"
	CodeStart       = "E_SHELL_START"
)

// ErrInvalidConfig wraps configuration errors; the message names the field.
var ErrInvalidConfig = errors.New("shell: invalid config")
