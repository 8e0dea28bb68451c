package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// maxInput bounds what a command reads from a file or stdin.
const maxInput = 64 << 20

var errTooLarge = errors.New("input larger than 64 MiB")

func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, errTooLarge
	}
	return b, nil
}

// jsonOf marshals v; for data wrappers that render text themselves.
func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
