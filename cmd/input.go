package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Limits on what a command reads from a file or stdin, so that /dev/zero
// or a runaway pipe is a clear error (exit 2), never an exhausted memory.
const (
	maxMessage  = 64 << 20 // a message or bounce (explain -, dkim verify)
	maxSmall    = 1 << 20  // a policy or list file
	maxCerts    = 4 << 20  // a PEM bundle (--ca-file)
	maxPassword = 4 << 10  // --auth-password-file
)

// errTooLarge is an input over its limit.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string { return fmt.Sprintf("input larger than %s", size(e.limit)) }

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// readLimited reads all of r, or fails past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge{limit}
	}
	return b, nil
}

// readText is readLimited for text that is kept as a string. A file
// redirected to stdin is read into one allocation of its size; a pipe is
// read in chunks, then joined once, so that a 64 MiB bounce is never held
// more than twice, however it arrives.
func readText(r io.Reader, limit int64) (string, error) {
	if f, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() <= limit {
			var b strings.Builder
			b.Grow(int(st.Size()) + 1)
			n, err := io.Copy(&b, io.LimitReader(r, limit+1))
			if err != nil {
				return "", err
			}
			if n > limit {
				return "", errTooLarge{limit}
			}
			return b.String(), nil
		}
	}
	var chunks [][]byte
	total := int64(0)
	lr := io.LimitReader(r, limit+1)
	for {
		chunk := make([]byte, 1<<20)
		n, err := io.ReadFull(lr, chunk)
		chunks, total = append(chunks, chunk[:n]), total+int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if total > limit {
		return "", errTooLarge{limit}
	}
	var b strings.Builder
	b.Grow(int(total))
	for _, c := range chunks {
		b.Write(c)
	}
	return b.String(), nil
}

// readInput reads a named file, or stdin for "-", up to limit bytes;
// Ctrl-C ends a wait for stdin.
func readInput(ctx context.Context, ios *IOStreams, name string, limit int64) ([]byte, error) {
	if name == "-" {
		return interruptible(ctx, func() ([]byte, error) { return readLimited(ios.In, limit) }, nil)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

// jsonOf marshals v; for data wrappers that render text themselves.
func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// openMessage opens a message to stream: a regular file is read where it
// lies, however large; stdin, which can be read only once, is read into
// memory up to maxMessage.
func openMessage(ctx context.Context, ios *IOStreams, name string) (*io.SectionReader, error) {
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			f.Close()
			if err == nil {
				err = fmt.Errorf("%s is not a regular file (use - for a pipe)", name)
			}
			return nil, err
		}
		// The file stays open for the run: sessions read it as they go.
		return io.NewSectionReader(f, 0, st.Size()), nil
	}
	b, err := readInput(ctx, ios, "-", maxMessage)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b))), nil
}

// interruptible runs a blocking read (stdin, a terminal prompt) so that a
// cancelled ctx ends the wait at once: the read itself cannot be stopped,
// but the run can go on to exit. onCancel undoes what the read had set up
// (a terminal's echo).
func interruptible[T any](ctx context.Context, read func() (T, error), onCancel func()) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		if onCancel != nil {
			onCancel()
		}
		var zero T
		return zero, context.Cause(ctx)
	}
}
