package explain

import (
	"context"
	"slices"
	"testing"

	"github.com/codios/codios/datalog"
)

func TestMissing(t *testing.T) {
	w := datalog.NewWorld(nil)
	block, err := datalog.ParseBlock(`right("/a", "read"); operation("write");`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddBlock(block, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		check string
		want  []string
	}{
		{`check if right($r, "read")`, nil},
		{`check if right("/b", $op)`, []string{`right("/b", $op)`}},
		{`check if right($r)`, []string{`right($r)`}},
		{`check if operation("read") or operation("read"), resource($r)`, []string{`operation("read")`, `resource($r)`}},
	} {
		c, err := datalog.ParseCheck(tc.check, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := Missing(c, w.Facts()); !slices.Equal(got, tc.want) {
			t.Errorf("Missing(%s) = %q, want %q", tc.check, got, tc.want)
		}
	}
}
