package sdk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRevocationList(t *testing.T) {
	ids, err := ParseRevocationList(strings.NewReader("# revoked\n\n  0a0b  \nFFee\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range [][]byte{{0x0a, 0x0b}, {0xff, 0xee}} {
		if ok, _ := ids.Revoked(id); !ok {
			t.Errorf("%x not revoked", id)
		}
	}
	if len(ids) != 2 {
		t.Errorf("%d ids, want 2", len(ids))
	}
	for _, bad := range []struct{ in, want string }{
		{"0a0b\nxyz\n", "line 2: not a hex revocation id"},
		{"abc\n", "line 1: not a hex revocation id"},
		{strings.Repeat("ab", 129) + "\n", "line 1: id longer than 128 bytes"},
		{strings.Repeat("a", 5000), "line 1: bufio.Scanner: token too long"},
	} {
		_, err := ParseRevocationList(strings.NewReader(bad.in))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%.20q: error %v, want %q", bad.in, err, bad.want)
		}
	}
}

func TestRevocationFileReloadsAndFailsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revoked.txt")
	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().Truncate(time.Second)
	write("aa\n", now)
	f, err := OpenRevocationFile(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock := now
	f.now = func() time.Time { return clock }
	revoked := func(id byte) bool {
		t.Helper()
		ok, err := f.Revoked([]byte{id})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !revoked(0xaa) || revoked(0xbb) {
		t.Fatal("initial list wrong")
	}

	// A change is seen at the next check, a second later at most.
	write("aa\nbb\n", now.Add(time.Second))
	if revoked(0xbb) {
		t.Error("reloaded before a second passed")
	}
	clock = clock.Add(time.Second)
	if !revoked(0xbb) {
		t.Error("change not seen after a second")
	}

	// A file that no longer parses keeps the last good list.
	write("aa\nnot hex\n", now.Add(2*time.Second))
	clock = clock.Add(time.Second)
	if !revoked(0xbb) || f.Err() == nil || f.Len() != 2 {
		t.Errorf("after a bad write: bb revoked %v, error %v, %d ids", revoked(0xbb), f.Err(), f.Len())
	}

	// A list older than its maximum age fails closed.
	clock = now.Add(2 * time.Hour)
	if _, err := f.Revoked([]byte{0xcc}); !errors.Is(err, ErrStaleRevocations) {
		t.Errorf("stale list: error %v, want ErrStaleRevocations", err)
	}

	if _, err := OpenRevocationFile(filepath.Join(t.TempDir(), "missing"), 0); err == nil {
		t.Error("a missing file opened")
	}
}

func TestStaleRevocationsRefuseCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revoked.txt")
	old := testNow.Add(-2 * time.Hour)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	rf, err := OpenRevocationFile(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rf.now = func() time.Time { return testNow }
	f := newFixture(t, Config{Revocations: rf})
	w := f.do(t, f.planner, "GET", "/reports/q3/x")
	if w.Code != 503 {
		t.Errorf("status %d, want 503", w.Code)
	}
	if rec := f.audit.last(t); rec.Outcome != OutcomeError || !strings.Contains(rec.Reason, "too old") {
		t.Errorf("audit %+v", rec)
	}
}
