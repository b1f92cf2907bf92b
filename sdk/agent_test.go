package sdk

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
	"github.com/codios/codios/token"
)

func TestAgentErrors(t *testing.T) {
	for _, name := range []string{"", "has space", "new\nline", strings.Repeat("a", 65), "ünïcode"} {
		if _, err := NewAgent(name, nil); !errors.Is(err, ErrInvalidName) {
			t.Errorf("NewAgent(%q): %v, want ErrInvalidName", name, err)
		}
	}
	a := newAgent(t, "a")
	b := newAgent(t, "b")
	if _, err := a.Token(); !errors.Is(err, ErrNoTokenHeld) {
		t.Errorf("Token without one: %v", err)
	}
	if _, err := a.Delegate(Delegation{To: b.Identity(), TTL: time.Minute}); !errors.Is(err, ErrNoTokenHeld) {
		t.Errorf("Delegate without a token: %v", err)
	}
	for _, junk := range [][]byte{nil, []byte("aGVsbG8="), {0x0a, 0xff, 0xff}, []byte("!!")} {
		if err := a.Receive(junk); err == nil {
			t.Errorf("Receive(%q) accepted", junk)
		}
	}
	f := newFixture(t, Config{})
	for _, d := range []Delegation{
		{To: b.Identity(), TTL: 0},
		{To: Identity{Name: "bad name"}, TTL: time.Minute},
		{To: b.Identity(), TTL: time.Minute, Checks: "check if"},
		{To: b.Identity(), TTL: time.Minute, Checks: "check if x({p});"},
		{To: b.Identity(), TTL: time.Minute, Budget: &Budget{Calls: 0, Period: time.Minute}},
		{To: b.Identity(), TTL: time.Minute, Budget: &Budget{Calls: 1, Period: time.Millisecond}},
	} {
		if _, err := f.planner.Delegate(d); err == nil {
			t.Errorf("Delegate(%+v) accepted", d)
		}
	}
	// A failed delegation leaves the agent's token as it was.
	if w := f.do(t, f.planner, "PUT", "/reports/x"); w.Status != 200 {
		t.Errorf("planner after failed delegations: %d", w.Status)
	}
}

// TestHostileBudgets appends budget facts no Delegate would write: the
// service refuses the token rather than enforce a budget it cannot.
func TestHostileBudgets(t *testing.T) {
	f := newFixture(t, Config{})
	tok, err := token.ParseText(mustToken(t, f.planner), f.root.Public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{
		`budget(0, "1m");`,
		`budget(-1, "1m");`,
		`budget(1000000000, "1m");`,
		`budget(5, "1ms");`,
		`budget(5, "1000h");`,
		`budget(5, "soon");`,
		`budget("5", "1m");`,
		`budget(5);`,
	} {
		p, err := datalog.ParseBlock(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		bad, err := tok.Append(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if w := f.send("GET", "/reports/x", bad.String()); w.Status != 401 {
			t.Errorf("%s: status %d, want 401", src, w.Status)
		}
		if rec := f.audit.last(t); !strings.Contains(rec.Reason, "invalid budget") {
			t.Errorf("%s: reason %q", src, rec.Reason)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	oldRoot, _ := token.GenerateKey(token.Ed25519, nil)
	newRoot, _ := token.GenerateKey(token.Ed25519, nil)
	mint := func(root *token.PrivateKey, id uint32) string {
		a := newAgent(t, "planner")
		data, err := Issue(root, a.Identity(), Grant{Source: grantSource, TTL: time.Hour, RootKeyID: &id, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		return encodeText(data)
	}
	oldTok, newTok := mint(oldRoot, 1), mint(newRoot, 2)
	forged := mint(newRoot, 1) // signed by the new key, claiming the old id
	keys := token.KeySet{Keys: map[uint32]token.PublicKey{1: oldRoot.Public(), 2: newRoot.Public()}}
	f := newFixture(t, Config{RootKeys: keys})
	for _, tt := range []struct {
		name, tok string
		want      int
		id        uint32
	}{{"old key in overlap", oldTok, 200, 1}, {"new key", newTok, 200, 2}, {"wrong id", forged, 401, 0}} {
		if w := f.send("GET", "/reports/x", tt.tok); w.Status != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, w.Status, tt.want)
		}
		rec := f.audit.last(t)
		if tt.want == 200 && (rec.RootKeyID == nil || *rec.RootKeyID != tt.id) {
			t.Errorf("%s: audit root key id %v, want %d", tt.name, rec.RootKeyID, tt.id)
		}
	}
	// The overlap ends: the old key leaves the set, its tokens stop
	// working, even those already in the cache.
	g := newFixture(t, Config{RootKeys: token.KeySet{Keys: map[uint32]token.PublicKey{2: newRoot.Public()}}, Cache: f.guard.cfg.Cache})
	if w := g.send("GET", "/reports/x", oldTok); w.Status != 401 {
		t.Errorf("old key after rotation: status %d, want 401", w.Status)
	}
	if w := g.send("GET", "/reports/x", newTok); w.Status != 200 {
		t.Errorf("new key after rotation: status %d, want 200", w.Status)
	}
}

func TestAuditFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	af, err := OpenAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Config{Audit: af})
	f.do(t, f.summarizer, "GET", "/reports/q3/summary.txt")
	f.do(t, f.summarizer, "PUT", "/reports/q3/summary.txt")
	f.send("GET", "/reports/q3/summary.txt", "")
	if err := af.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", st.Mode().Perm())
	}
	var recs []*AuditRecord
	file, _ := os.Open(path)
	defer file.Close()
	if err := ReadAudit(file, func(r *AuditRecord) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	if r := recs[0]; r.Outcome != OutcomeAllow || len(r.Chain) != 3 || r.Chain[2].SignedBy != "research" || r.Policy == nil || r.Policy.Kind != "allow" || r.Time.IsZero() {
		t.Errorf("record 0: %+v", r)
	}
	if r := recs[1]; r.Outcome != OutcomeDeny || len(r.FailedChecks) != 1 || r.FailedChecks[0].Agent != "planner" {
		t.Errorf("record 1: %+v", r)
	}
	if r := recs[2]; r.Outcome != OutcomeInvalid || r.Reason != "no bearer token" || len(r.Chain) != 0 {
		t.Errorf("record 2: %+v", r)
	}

	// Other lines of a shared log are skipped; a broken one is an error.
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("something else", "k", 1)
	if err := NewAuditWriter(&buf).Audit(context.Background(), recs[1]); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("{broken\n")
	n := 0
	err = ReadAudit(&buf, func(*AuditRecord) error { n++; return nil })
	if n != 1 || err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("read %d records, error %v; want 1 and an error at line 3", n, err)
	}
}

func TestPolicyConfig(t *testing.T) {
	root, _ := token.GenerateKey(token.Ed25519, nil)
	policy, err := token.ParseAuthorizer(reportsPolicy, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Service: "s", RootKeys: root.Public(), Audit: DiscardAudit}, "no policy"},
		{Config{Service: "s", RootKeys: root.Public(), Policy: policy}, "no audit sink"},
		{Config{Service: "s", Audit: DiscardAudit, Policy: policy}, "no root keys"},
		{Config{Service: "bad name", RootKeys: root.Public(), Audit: DiscardAudit, Policy: policy}, "service"},
	} {
		if _, err := NewGuard(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewGuard(%+v): %v, want an error saying %q", tt.cfg, err, tt.want)
		}
	}
	file := filepath.Join(t.TempDir(), "service.datalog")
	os.WriteFile(file, []byte("allow if\n  nope(;\n"), 0o600)
	_, err = LoadPolicy(file, nil)
	var perr *datalog.ParseError
	if !errors.As(err, &perr) || perr.Filename != file || perr.Line != 2 {
		t.Errorf("policy file error %v: want a ParseError at %s:2", err, file)
	}
	if _, err := LoadPolicy(file+".missing", nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing policy file: %v", err)
	}
}
