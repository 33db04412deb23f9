package inference

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxSSELine bounds one server-sent-events line from a backend.
const maxSSELine = 1 << 20

// errSSEDone is returned by readSSE when the stream sent "data: [DONE]".
var errSSEDone = errors.New("inference: sse done")

// readSSE reads server-sent events from r and calls onData with each
// event's data (multi-line data joined with newlines). It returns nil at
// "[DONE]", io.ErrUnexpectedEOF when the stream ends without it, or the
// first error from onData or the reader.
func readSSE(r io.Reader, onData func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSSELine)
	var data []byte
	has := false
	dispatch := func() error {
		if !has {
			return nil
		}
		d := data
		data, has = data[:0:0], false
		if bytes.Equal(bytes.TrimSpace(d), []byte("[DONE]")) {
			return errSSEDone
		}
		return onData(d)
	}
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			if err := dispatch(); err != nil {
				if err == errSSEDone {
					return nil
				}
				return err
			}
			continue
		}
		if line[0] == ':' { // comment / keep-alive
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		if string(field) != "data" {
			continue // event, id, retry: not used by OpenAI streams
		}
		if has {
			data = append(data, '\n')
		}
		data = append(data, value...)
		has = true
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%w: stream line over %d bytes", ErrBackendBadResponse, maxSSELine)
		}
		return err
	}
	if err := dispatch(); err != nil {
		if err == errSSEDone {
			return nil
		}
		return err
	}
	return io.ErrUnexpectedEOF
}
