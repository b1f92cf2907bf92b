package sdk

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Revocations tells whether a block's revocation id is revoked. An error
// fails closed: the guard refuses the call (503) rather than risk
// honouring a revoked token. id is the token's own: read it, do not
// modify or keep it.
type Revocations interface {
	Revoked(id []byte) (bool, error)
}

var (
	_ Revocations = RevocationSet(nil)
	_ Revocations = (*RevocationFile)(nil)
)

// RevocationSet is a fixed set of revoked ids, keyed by the id's raw
// bytes.
type RevocationSet map[string]struct{}

// Revoked reports whether id is in the set.
func (s RevocationSet) Revoked(id []byte) (bool, error) {
	_, ok := s[string(id)]
	return ok, nil
}

// Bounds of a revocation file.
const (
	// MaxRevocationFileBytes bounds a revocation file: 64 MiB holds about
	// 500,000 ids.
	MaxRevocationFileBytes = 64 << 20
	// maxRevocationIDBytes bounds one id: a P-256 DER signature is at most
	// 72 bytes, an Ed25519 one 64.
	maxRevocationIDBytes = 128
	// revocationStatEvery is how often the file is checked for changes.
	revocationStatEvery = time.Second
)

// RevocationFile is a revocation list kept in a file, in the form
// [ParseRevocationList] reads: hex ids, one a line, ending with the line
// "# end N". The file is read again when its size or modification time
// changes (checked at most once a second). A file that fails to parse,
// or that is not complete, keeps the last good list in force.
//
// Writers must replace the file, not rewrite it in place: write a
// temporary file in the same folder, then rename it over the list, as
// [AddRevocations] and "codios revoke --list" do. A reader that catches a
// file being rewritten in place sees it without its end line and keeps
// the previous list; without the end line, a half-written list would
// silently un-revoke every id not yet written.
//
// The list is as fresh as its file's modification time: whoever
// publishes it rewrites (or touches) it at least every MaxAge, and a file
// older than MaxAge makes Revoked fail with ErrStaleRevocations, so that
// a publisher that died does not leave services honouring revoked tokens
// forever. A zero MaxAge never expires the list.
type RevocationFile struct {
	path   string
	maxAge time.Duration
	now    func() time.Time

	mu      sync.RWMutex
	ids     map[string]struct{}
	modTime time.Time
	size    int64
	checked time.Time
	lastErr error
}

// OpenRevocationFile reads the revocation list at path. The file must
// exist and parse.
func OpenRevocationFile(path string, maxAge time.Duration) (*RevocationFile, error) {
	f := &RevocationFile{path: path, maxAge: maxAge, now: time.Now}
	if err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Revoked reports whether id is revoked, reloading the file first if it
// changed.
func (f *RevocationFile) Revoked(id []byte) (bool, error) {
	now := f.now()
	f.mu.RLock()
	stale := now.Sub(f.checked) >= revocationStatEvery
	f.mu.RUnlock()
	if stale {
		f.refresh(now)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.maxAge > 0 && now.Sub(f.modTime) > f.maxAge {
		return false, fmt.Errorf("%w: %s last changed %v ago, more than %v (last error: %v)",
			ErrStaleRevocations, f.path, now.Sub(f.modTime).Round(time.Second), f.maxAge, f.lastErr)
	}
	_, ok := f.ids[string(id)]
	return ok, nil
}

// Len is the number of revoked ids in force.
func (f *RevocationFile) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.ids)
}

// Err is the error of the last reload that failed, or nil if the last
// reload succeeded.
func (f *RevocationFile) Err() error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.lastErr
}

// refresh reloads the file if its size or modification time changed.
func (f *RevocationFile) refresh(now time.Time) {
	f.mu.Lock()
	if now.Sub(f.checked) < revocationStatEvery {
		f.mu.Unlock()
		return
	}
	f.checked = now
	f.mu.Unlock()
	st, err := os.Stat(f.path)
	if err != nil {
		f.fail(err)
		return
	}
	f.mu.RLock()
	same := st.ModTime().Equal(f.modTime) && st.Size() == f.size
	f.mu.RUnlock()
	if !same {
		if err := f.reload(); err != nil {
			f.fail(err)
		}
	}
}

func (f *RevocationFile) fail(err error) {
	f.mu.Lock()
	f.lastErr = err
	f.mu.Unlock()
}

// reload reads and parses the file, and swaps the list in when it
// parses.
func (f *RevocationFile) reload() error {
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("sdk: revocation list: %w", err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return fmt.Errorf("sdk: revocation list: %w", err)
	}
	ids, err := ParseRevocationList(file)
	if err != nil {
		return fmt.Errorf("sdk: revocation list %s: %w", f.path, err)
	}
	f.mu.Lock()
	f.ids, f.modTime, f.size, f.lastErr = ids, st.ModTime(), st.Size(), nil
	f.mu.Unlock()
	return nil
}

// revocationEnd starts the line that ends a complete revocation list:
// "# end N", N the number of ids listed before it. A "#" line, so that
// readers of the older form without it skip it as a comment.
const revocationEnd = "# end "

// ParseRevocationList reads a revocation list: hex revocation ids, one a
// line, then the line "# end N" that counts them. Blank lines and other
// lines starting with # are comments. A list without its end line, with
// a count that disagrees, or with anything but blank lines after it is
// incomplete ([ErrIncompleteRevocations]); a malformed line is an error
// naming its line number.
func ParseRevocationList(r io.Reader) (RevocationSet, error) {
	ids := RevocationSet{}
	lr := &io.LimitedReader{R: r, N: MaxRevocationFileBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	line, listed, end := 0, 0, 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if end > 0 {
			return nil, fmt.Errorf("%w: line %d: more after the end line (line %d)", ErrIncompleteRevocations, line, end)
		}
		if rest, ok := bytes.CutPrefix(text, []byte(revocationEnd)); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(rest)))
			if err != nil || n != listed {
				return nil, fmt.Errorf("%w: line %d: %q, but %d ids precede it", ErrIncompleteRevocations, line, text, listed)
			}
			end = line
			continue
		}
		if text[0] == '#' {
			continue
		}
		if len(text) > 2*maxRevocationIDBytes {
			return nil, fmt.Errorf("line %d: id longer than %d bytes", line, maxRevocationIDBytes)
		}
		id := make([]byte, hex.DecodedLen(len(text)))
		if _, err := hex.Decode(id, text); err != nil {
			return nil, fmt.Errorf("line %d: not a hex revocation id: %w", line, err)
		}
		ids[string(id)] = struct{}{}
		listed++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("more than %d bytes", MaxRevocationFileBytes)
	}
	if end == 0 {
		return nil, fmt.Errorf("%w: no %q line after its %d ids", ErrIncompleteRevocations, revocationEnd+"N", listed)
	}
	return ids, nil
}

// AppendRevocationList appends the text of a complete revocation list of
// ids, in their order, to b: each id in hex on a line, then the end line.
func AppendRevocationList(b []byte, ids [][]byte) []byte {
	for _, id := range ids {
		b = hex.AppendEncode(b, id)
		b = append(b, '\n')
	}
	b = append(b, revocationEnd...)
	b = strconv.AppendInt(b, int64(len(ids)), 10)
	return append(b, '\n')
}

// AddRevocations adds ids to the revocation list at path, creating it if
// it does not exist, and replaces the file atomically: the new list is
// written to a temporary file beside it, synced, and renamed over it, so
// that a reader sees the old list or the new one, never a part. An id
// already listed is not added twice. An existing file that does not parse
// is an error, and is left as it is.
func AddRevocations(path string, ids ...[]byte) error {
	var listed [][]byte
	seen := RevocationSet{}
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("sdk: revocation list: %w", err)
	default:
		if _, err := ParseRevocationList(bytes.NewReader(old)); err != nil {
			return fmt.Errorf("sdk: revocation list %s: %w", path, err)
		}
		// Parsed: every non-comment line before the end line is an id.
		for line := range bytes.Lines(old) {
			text := bytes.TrimSpace(line)
			if len(text) == 0 || text[0] == '#' {
				continue
			}
			id, _ := hex.DecodeString(string(text))
			if _, dup := seen[string(id)]; !dup {
				seen[string(id)] = struct{}{}
				listed = append(listed, id)
			}
		}
	}
	for _, id := range ids {
		if _, dup := seen[string(id)]; !dup {
			seen[string(id)] = struct{}{}
			listed = append(listed, id)
		}
	}
	if err := replaceFile(path, AppendRevocationList(nil, listed)); err != nil {
		return fmt.Errorf("sdk: revocation list: %w", err)
	}
	return nil
}

// replaceFile replaces path with data atomically: a temporary file in the
// same folder (mode 0644: a revocation list holds no secret), synced,
// renamed over path, then the folder synced so the rename survives a
// crash.
func replaceFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: not every file system syncs a folder
		d.Close()
	}
	return nil
}
