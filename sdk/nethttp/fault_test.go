package nethttp

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/codios/codios/sdk"
)

// failingBudgets is a budget store that is down.
type failingBudgets struct{}

func (failingBudgets) Take(time.Time, []sdk.BudgetKey) (bool, time.Duration, error) {
	return false, 0, errors.New("budget store unreachable")
}

// faultCall sends one call of agent a through the middleware to a handler
// that counts its runs, and returns the status.
func faultCall(t *testing.T, f *fixture, a *sdk.Agent, served *int) int {
	t.Helper()
	text, err := a.Token()
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://reports.local/reports/q3/summary.txt", nil)
	r.Header.Set("Authorization", "Bearer "+text)
	w := httptest.NewRecorder()
	f.mw.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { *served++ })).ServeHTTP(w, r)
	return w.Code
}

// allowRecords counts the allow records of an audit.
func allowRecords(m *memoryAudit) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, rec := range m.recs {
		if rec.Outcome == sdk.OutcomeAllow {
			n++
		}
	}
	return n
}

// TestFaults: under each fault, the calls refused and how, and that no
// call is served without its allow record, and every call has a record.
func TestFaults(t *testing.T) {
	t.Run("budget store fails", func(t *testing.T) {
		f := newFixture(t, sdk.Config{Budgets: failingBudgets{}})
		served := 0
		// The summarizer's token declares a budget: the store must be
		// asked, and failing, the call is refused as unavailable. The
		// planner's declares none and is served.
		if code := faultCall(t, f, f.summarizer, &served); code != http.StatusServiceUnavailable {
			t.Errorf("a call with a budget: status %d, want 503", code)
		}
		if code := faultCall(t, f, f.planner, &served); code != http.StatusOK {
			t.Errorf("a call without a budget: status %d, want 200", code)
		}
		if served != 1 || allowRecords(f.audit) != served || len(f.audit.recs) != 2 {
			t.Errorf("served %d, allow records %d, records %d", served, allowRecords(f.audit), len(f.audit.recs))
		}
	})

	t.Run("clock jumps", func(t *testing.T) {
		f := newFixture(t, sdk.Config{})
		served := 0
		if code := faultCall(t, f, f.summarizer, &served); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		// Forward past the summarizer's expiry (a minute): refused by
		// its expiry check. Then back an hour: its tokens check only an
		// upper bound, so they pass again, but the budget's window must
		// not reopen: still at most 5 calls.
		f.advance(2 * time.Minute)
		if code := faultCall(t, f, f.summarizer, &served); code != http.StatusForbidden {
			t.Errorf("after a jump past the expiry: status %d, want 403", code)
		}
		f.advance(-time.Hour)
		for range 10 {
			faultCall(t, f, f.summarizer, &served)
		}
		if served > 5 {
			t.Errorf("after the clock went back an hour: %d calls served, the budget allows 5 a minute", served)
		}
		if allowRecords(f.audit) != served || len(f.audit.recs) != 12 {
			t.Errorf("served %d, allow records %d, records %d", served, allowRecords(f.audit), len(f.audit.recs))
		}
	})

}

// TestExpiredTokenSaysSo: a call refused by an expiry check says, in its
// body and its audit record, that the token expired, and when.
func TestExpiredTokenSaysSo(t *testing.T) {
	f := newFixture(t, sdk.Config{})
	f.advance(2 * time.Hour) // the planner's token is good for one
	w := f.do(t, f.planner, "GET", "/reports/q3/data.csv")
	body := decodeBody(t, w)
	if w.Code != http.StatusForbidden || body.Reason != "expired" || body.Expired != testNow.Add(time.Hour).UTC().Format(time.RFC3339) {
		t.Errorf("status %d, body %+v: want 403, expired at %s", w.Code, body, testNow.Add(time.Hour).UTC().Format(time.RFC3339))
	}
	rec := f.audit.last(t)
	if len(rec.FailedChecks) != 1 || rec.FailedChecks[0].Expired != body.Expired {
		t.Errorf("audit record's failed checks %+v", rec.FailedChecks)
	}
}
