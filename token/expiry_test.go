package token

import (
	"testing"
	"time"
)

func TestExpiryCheck(t *testing.T) {
	until := time.Date(2026, 1, 2, 15, 4, 5, 999, time.FixedZone("x", 3600))
	got := ExpiryCheck(until).String()
	want := "check if time($t), $t < 2026-01-02T14:04:05Z"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
