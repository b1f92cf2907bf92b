package refdiff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Reference is a running reference program (ref/, built with cargo): it
// decides cases with biscuit-auth, one JSON line in, one JSON line out.
type Reference struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// StartReference starts the reference program at path.
func StartReference(path string) (*Reference, error) {
	cmd := exec.Command(path)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the reference program: %w", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 16<<20)
	return &Reference{cmd: cmd, in: in, out: sc}, nil
}

// Decide decides cases, in order. The cases are written while the
// decisions are read, so that neither pipe fills up.
func (r *Reference) Decide(cases []*Case) ([]Decision, error) {
	werr := make(chan error, 1)
	go func() {
		enc := json.NewEncoder(r.in)
		for _, c := range cases {
			if err := enc.Encode(c); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	ds := make([]Decision, len(cases))
	for i := range ds {
		if !r.out.Scan() {
			err := r.out.Err()
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading the reference's decision %d: %w", i, err)
		}
		if err := json.Unmarshal(r.out.Bytes(), &ds[i]); err != nil {
			return nil, fmt.Errorf("decoding the reference's decision %d: %w", i, err)
		}
	}
	if err := <-werr; err != nil {
		return nil, fmt.Errorf("writing a case to the reference: %w", err)
	}
	return ds, nil
}

// Close stops the reference program.
func (r *Reference) Close() error {
	r.in.Close()
	return r.cmd.Wait()
}
