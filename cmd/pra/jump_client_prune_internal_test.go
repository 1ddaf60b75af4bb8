package pra

import (
	"strings"
	"testing"
	"time"
)

func TestPlanPrune(t *testing.T) {
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	at := func(daysAgo int) string {
		return now.Add(-time.Duration(daysAgo) * 24 * time.Hour).Format(time.RFC3339)
	}
	items := []map[string]any{
		// Connected for 60 days without a break: not disconnected.
		{"id": float64(1), "hostname": "a", "fqdn": "a.x", "last_connect_timestamp": at(60), "last_disconnect_timestamp": at(61)},
		// Disconnected 40 days ago.
		{"id": float64(2), "hostname": "b", "fqdn": "b.x", "last_connect_timestamp": at(40), "last_disconnect_timestamp": at(39)},
		// Never connected: age unknown, kept.
		{"id": float64(3), "hostname": "c", "fqdn": "c.x"},
		// Same short name in two domains: different hosts; an FQDN-less "db" is ambiguous and joins neither.
		{"id": float64(4), "hostname": "db", "fqdn": "db.a.x", "last_connect_timestamp": at(1)},
		{"id": float64(5), "hostname": "db", "fqdn": "db.b.x", "last_connect_timestamp": at(2)},
		{"id": float64(6), "hostname": "DB", "last_connect_timestamp": at(3)},
		{"id": float64(7), "hostname": "db", "last_connect_timestamp": at(4)},
		// Same FQDN in another case, the same connection time: the higher id (the later install) is kept.
		{"id": float64(8), "hostname": "e", "fqdn": "E.x", "last_connect_timestamp": at(5), "is_lost": true},
		{"id": float64(9), "hostname": "e", "fqdn": "e.X", "last_connect_timestamp": at(5)},
	}
	plan := planPrune(items, pruneRules{lost: true, disconnectedFor: 30 * 24 * time.Hour, duplicates: true, now: now})
	var got []string
	for _, c := range plan {
		got = append(got, c.ID+": "+strings.Join(c.Reasons, "; "))
	}
	want := []string{
		"2: disconnected for 40 days (last connected " + at(40) + ")",
		`7: duplicate of #6 "" (same host DB), which connected last`,
		`8: lost (is_lost); duplicate of #9 "" (same host e.X), which connected last`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(planPrune(items, pruneRules{now: now})) != 0 {
		t.Fatal("no rule must remove nothing")
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0d", "-3d", "d", "soon", "-1h"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
