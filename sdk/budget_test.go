package sdk

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

func TestMemoryBudgets(t *testing.T) {
	m := NewMemoryBudgets()
	parent := BudgetKey{Key: "parent", Budget: Budget{Calls: 3, Period: 10 * time.Second}}
	child := BudgetKey{Key: "child", Budget: Budget{Calls: 2, Period: time.Minute}}
	at := func(s int) time.Time { return testNow.Add(time.Duration(s) * time.Second) }
	take := func(s int, keys ...BudgetKey) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := m.Take(at(s), keys)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	if ok, _ := take(0, parent, child); !ok {
		t.Fatal("first call refused")
	}
	if ok, _ := take(1, parent, child); !ok {
		t.Fatal("second call refused")
	}
	// The child's budget is spent: the call counts against neither.
	if ok, wait := take(2, parent, child); ok || wait != 58*time.Second {
		t.Fatalf("third call through the child: ok %v, wait %v; want refused, 58s", ok, wait)
	}
	// The parent alone still has one call left, then none.
	if ok, _ := take(3, parent); !ok {
		t.Fatal("parent's third call refused: the refused call was counted")
	}
	if ok, wait := take(4, parent); ok || wait != 6*time.Second {
		t.Fatalf("parent's fourth call: ok %v, wait %v; want refused, 6s", ok, wait)
	}
	// Sliding: at 10 s the call of 0 s has left the window, not those of 1 and 3.
	if ok, _ := take(10, parent); !ok {
		t.Fatal("call at 10s refused")
	}
	if ok, wait := take(10, parent); ok || wait != time.Second {
		t.Fatalf("second call at 10s: ok %v, wait %v; want refused, 1s", ok, wait)
	}
	// Idle budgets are forgotten.
	if ok, _ := take(200); !ok || m.Len() != 2 {
		t.Fatalf("empty chain: ok %v, %d budgets", ok, m.Len())
	}
	if ok, _ := take(201, BudgetKey{Key: "other", Budget: parent.Budget}); !ok || m.Len() != 1 {
		t.Errorf("after a sweep: %d budgets tracked, want 1", m.Len())
	}
}

func TestMemoryBudgetsFailClosedWhenFull(t *testing.T) {
	m := &MemoryBudgets{MaxKeys: 2}
	b := Budget{Calls: 1, Period: time.Minute}
	for i, key := range []string{"a", "b"} {
		if ok, _, _ := m.Take(testNow, []BudgetKey{{Key: key, Budget: b}}); !ok {
			t.Fatalf("budget %d refused", i)
		}
	}
	if ok, wait, _ := m.Take(testNow, []BudgetKey{{Key: "c", Budget: b}}); ok || wait != time.Minute {
		t.Errorf("third budget in a full store: ok %v, wait %v", ok, wait)
	}
}

func TestBudgetFacts(t *testing.T) {
	for _, tt := range []struct {
		b    Budget
		text string
	}{
		{Budget{5, time.Minute}, `budget(5, "1m")`},
		{Budget{100, time.Hour}, `budget(100, "1h")`},
		{Budget{1, 90 * time.Second}, `budget(1, "1m30s")`},
		{Budget{7, 24 * time.Hour}, `budget(7, "24h")`},
	} {
		f := tt.b.fact()
		if f.String() != tt.text {
			t.Errorf("%+v: %s, want %s", tt.b, f, tt.text)
		}
		back, err := budgetOf(f)
		if err != nil || back != tt.b {
			t.Errorf("%s read back as %+v, %v", f, back, err)
		}
	}
}

// TestBudgetKeyHex checks that a budget's key is printable: the hex of its
// block's revocation id, then its place in the block.
func TestBudgetKeyHex(t *testing.T) {
	f := newFixture(t, Config{})
	tok := f.verified(t, f.summarizer)
	c, err := f.guard.chains.get(tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.budgets) != 1 {
		t.Fatalf("%d budgets, want 1", len(c.budgets))
	}
	want := fmt.Sprintf("%x/0", tok.Blocks()[2].RevocationID)
	if got := c.budgets[0].Key; got != want {
		t.Errorf("key %q, want %q", got, want)
	}
}

// TestMemoryBudgetsBoundedInBytes: the counts never take more than
// MaxBytes; a call that would need more is refused, as when the store is
// full of keys; and budgets forgotten give their memory back.
func TestMemoryBudgetsBoundedInBytes(t *testing.T) {
	m := &MemoryBudgets{MaxBytes: 4096}
	big := Budget{Calls: MaxBudgetCalls, Period: time.Hour}
	admitted := 0
	for i := range 2000 {
		ok, _, err := m.Take(testNow.Add(time.Duration(i)*time.Millisecond), []BudgetKey{{Key: "one", Budget: big}})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			admitted++
		}
		if m.Bytes() > m.MaxBytes {
			t.Fatalf("after %d calls: %d bytes, over %d", i+1, m.Bytes(), m.MaxBytes)
		}
	}
	if admitted == 0 || admitted == 2000 {
		t.Errorf("%d of 2000 calls admitted: want some, not all", admitted)
	}
	small := Budget{Calls: 1, Period: time.Second}
	for i := range 100 {
		m.Take(testNow, []BudgetKey{{Key: fmt.Sprint("key", i), Budget: small}})
		if m.Bytes() > m.MaxBytes {
			t.Fatalf("after %d keys: %d bytes, over %d", i+1, m.Bytes(), m.MaxBytes)
		}
	}
	m.Take(testNow.Add(2*time.Hour), []BudgetKey{{Key: "late", Budget: small}})
	if m.Len() != 1 || m.Bytes() > 256 {
		t.Errorf("after every budget's period: %d budgets, %d bytes; want 1, and its bytes only", m.Len(), m.Bytes())
	}
}

// TestTooManyBudgets: a token may declare MaxTokenBudgets budgets; one
// more (a block of thousands, say, each counted on every call) makes it an
// invalid token.
func TestTooManyBudgets(t *testing.T) {
	f := newFixture(t, Config{})
	tok := f.verified(t, f.planner)
	for _, n := range []int{MaxTokenBudgets, MaxTokenBudgets + 1, 9000} {
		var src strings.Builder
		for i := range n {
			fmt.Fprintf(&src, "budget(%d, \"24h\");\n", i+1000)
		}
		blk, err := datalog.ParseBlock(src.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		more, err := tok.Append(blk, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := f.send("GET", "/reports/q3/data.csv", more.String())
		want := http.StatusOK
		if n > MaxTokenBudgets {
			want = http.StatusUnauthorized
		}
		if w.Status != want {
			t.Errorf("%d budgets: status %d, want %d", n, w.Status, want)
		}
	}
}
