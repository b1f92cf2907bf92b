package sdk

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Revocations tells whether a block's revocation id is revoked. An error
// fails closed: the middleware refuses the call (503) rather than risk
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

// RevocationFile is a revocation list kept in a file: hex revocation ids,
// one a line; blank lines and lines starting with # are ignored. The file
// is read again when its size or modification time changes (checked at
// most once a second). A file that fails to parse keeps the last good
// list in force.
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

// ParseRevocationList reads hex revocation ids, one a line; blank lines
// and lines starting with # are ignored. A malformed line is an error
// naming its line number.
func ParseRevocationList(r io.Reader) (RevocationSet, error) {
	ids := RevocationSet{}
	lr := &io.LimitedReader{R: r, N: MaxRevocationFileBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
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
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("more than %d bytes", MaxRevocationFileBytes)
	}
	return ids, nil
}
