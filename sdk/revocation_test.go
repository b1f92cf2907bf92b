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
	ids, err := ParseRevocationList(strings.NewReader("# revoked\n\n  0a0b  \nFFee\n# end 2\n\n"))
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
		{"0a0b\nxyz\n# end 2\n", "line 2: not a hex revocation id"},
		{"abc\n", "line 1: not a hex revocation id"},
		{strings.Repeat("ab", 129) + "\n", "line 1: id longer than 128 bytes"},
		{strings.Repeat("a", 5000), "line 1: bufio.Scanner: token too long"},
	} {
		_, err := ParseRevocationList(strings.NewReader(bad.in))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%.20q: error %v, want %q", bad.in, err, bad.want)
		}
	}
	// Incomplete: a list cut anywhere before its end line, a count that
	// disagrees, or anything after the end line.
	for _, in := range []string{"", "0a0b\n", "0a0b\nffee\n", "0a0b\n# end 2\n", "0a0b\n# end\n", "0a0b\n# end 1\nffee\n", "0a0b\n# end 1\n# end 1\n"} {
		if _, err := ParseRevocationList(strings.NewReader(in)); !errors.Is(err, ErrIncompleteRevocations) {
			t.Errorf("%q: error %v, want ErrIncompleteRevocations", in, err)
		}
	}
	if ids, err := ParseRevocationList(strings.NewReader("# end 0\n")); err != nil || len(ids) != 0 {
		t.Errorf("the empty list: %v, %v", ids, err)
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
	write("aa\n# end 1\n", now)
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
	write("aa\nbb\n# end 2\n", now.Add(time.Second))
	if revoked(0xbb) {
		t.Error("reloaded before a second passed")
	}
	clock = clock.Add(time.Second)
	if !revoked(0xbb) {
		t.Error("change not seen after a second")
	}

	// A file that no longer parses keeps the last good list.
	write("aa\nnot hex\n# end 2\n", now.Add(2*time.Second))
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
	if err := os.WriteFile(path, []byte("# end 0\n"), 0o600); err != nil {
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
	if w.Status != 503 {
		t.Errorf("status %d, want 503", w.Status)
	}
	if rec := f.audit.last(t); rec.Outcome != OutcomeError || !strings.Contains(rec.Reason, "too old") {
		t.Errorf("audit %+v", rec)
	}
}

// TestRevocationFileHalfWritten rewrites a list in place, in parts, the
// way a careless writer does (truncate, then write): a reader that
// catches the file at any point keeps the previous, complete list, so the
// revoked id is never let through; AddRevocations replaces it whole.
func TestRevocationFileHalfWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revoked.txt")
	revoked := []byte{0xaa, 0xbb}
	if err := AddRevocations(path, revoked); err != nil {
		t.Fatal(err)
	}
	f, err := OpenRevocationFile(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	f.now = func() time.Time { return clock }
	full := AppendRevocationList(nil, [][]byte{{0x01}, {0x02}, revoked})
	// Cut before its last byte: without the final newline, the list is whole.
	for cut := 0; cut < len(full)-1; cut++ {
		// Each cut has its own modification time, so the reader sees a change.
		if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		mtime := clock.Add(time.Duration(cut) * time.Second)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Second)
		ok, err := f.Revoked(revoked)
		if err != nil || !ok {
			t.Fatalf("file cut at %d bytes: revoked %v, error %v", cut, ok, err)
		}
		if f.Err() == nil {
			t.Errorf("file cut at %d bytes: loaded without an error", cut)
		}
	}
	if err := AddRevocations(path, []byte{0x03}); err == nil {
		t.Error("AddRevocations rewrote a list that does not parse")
	}

	if err := os.WriteFile(path, full, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := AddRevocations(path, []byte{0x03}, revoked); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "01\n02\naabb\n03\n# end 4\n"; string(data) != want {
		t.Errorf("after AddRevocations: %q, want %q", data, want)
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

// TestRevocationFileDeletedThenReplaced: the last list stays in force
// while the file is gone, until it is too old; a new file takes effect.
// No call is allowed without its allow record.
func TestRevocationFileDeletedThenReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "revoked.txt")
	if err := AddRevocations(path); err != nil {
		t.Fatal(err)
	}
	rf, err := OpenRevocationFile(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	rf.now = func() time.Time { return clock }
	f := newFixture(t, Config{Revocations: rf})
	served := 0
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Second)
	// Deleted: the last list stays in force until it is too old.
	if code := f.call(t, f.planner, &served); code != 200 {
		t.Errorf("list deleted: status %d, want 200 under the last list", code)
	}
	clock = clock.Add(2 * time.Hour)
	if code := f.call(t, f.planner, &served); code != 503 {
		t.Errorf("list deleted and too old: status %d, want 503", code)
	}
	// Replaced with one that revokes the research agent's block.
	if err := AddRevocations(path, f.verified(t, f.summarizer).RevocationIDs()[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, clock, clock); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * time.Second)
	if code := f.call(t, f.summarizer, &served); code != 403 {
		t.Errorf("replaced list revoking block 1: status %d, want 403", code)
	}
	if code := f.call(t, f.planner, &served); code != 200 {
		t.Errorf("replaced list, block 0 not revoked: status %d, want 200", code)
	}
	if f.audit.allowRecords() != served || len(f.audit.recs) != 4 {
		t.Errorf("served %d, allow records %d, records %d", served, f.audit.allowRecords(), len(f.audit.recs))
	}
}
