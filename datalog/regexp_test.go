package datalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRegexpCostBounded is the attack review's hostile block: a 60 KB
// string matched, 400 times, against a pattern whose compiled program is
// thousands of instructions though its text is short. Its cost is charged
// before each match runs, from the compiled program's size times the
// text's length, so the evaluation stops at the step limit, early and as
// the block's own fault (ErrStepLimit, not the wall-clock backstop).
func TestRegexpCostBounded(t *testing.T) {
	var src strings.Builder
	fmt.Fprintf(&src, "big(%q);\n", strings.Repeat("a", 60_000))
	for i := range 400 {
		fmt.Fprintf(&src, "n(%d);\n", i)
	}
	src.WriteString(`reject if n($x), big($s), $s.matches("(?:a{0,1000}){1}b");`)
	block, err := ParseBlock(src.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ParseAuthorizer(`allow if true;`, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorld(nil)
	if _, err := w.AddBlock(block, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.AddAuthorizer(auth); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = w.Authorize(context.Background())
	took := time.Since(start)
	if !errors.Is(err, ErrStepLimit) {
		t.Fatalf("error %v after %v, want the step limit", err, took)
	}
	t.Logf("stopped after %v", took)
}
