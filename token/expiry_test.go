package token

import (
	"testing"
	"time"

	"github.com/codios/codios/datalog"
)

func TestExpiryCheck(t *testing.T) {
	until := time.Date(2026, 1, 2, 15, 4, 5, 999, time.FixedZone("x", 3600))
	got := ExpiryCheck(until).String()
	want := "check if time($t), $t < 2026-01-02T14:04:05Z"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestExpiredAt(t *testing.T) {
	until := time.Date(2026, 11, 26, 20, 22, 9, 0, time.UTC)
	if got, ok := ExpiredAt(ExpiryCheck(until)); !ok || !got.Equal(until) {
		t.Errorf("ExpiryCheck's own check: %v, %v", got, ok)
	}
	for src, want := range map[string]bool{
		`check if time($t), $t <= 2026-11-26T20:22:09Z`:                   true,
		`check if time($t), $t > 2026-11-26T20:22:09Z`:                    false,
		`check all time($t), $t < 2026-11-26T20:22:09Z`:                   false,
		`check if time($t), $u < 2026-11-26T20:22:09Z, other($u)`:         false,
		`check if time($t), $t < 2026-11-26T20:22:09Z or other(1)`:        false,
		`check if operation("read")`:                                      false,
		`check if time($t), $t < 2026-11-26T20:22:09Z trusting authority`: false,
	} {
		c, err := datalog.ParseCheck(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ExpiredAt(c); ok != want {
			t.Errorf("%s: an expiry check %v, want %v", src, ok, want)
		}
	}
}
