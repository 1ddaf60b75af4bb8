package pra

import (
	"testing"

	"github.com/infractl/infra/pkg/api/request"
)

func TestProblemsPresent(t *testing.T) {
	req := &Param{Name: "hostname", Flag: "hostname", Required: true}
	opt := &Param{Name: "comments", Flag: "comments"}
	cases := []struct {
		p        *Param
		v        string
		given    bool
		want     bool
		problems string
	}{
		{req, "", false, false, "hostname (--hostname): required for local"},
		{req, "  ", true, false, "hostname (--hostname): must not be empty"},
		{req, "h1", true, true, ""},
		{opt, "", false, false, ""},
		{opt, "", true, true, ""},
	}
	for _, c := range cases {
		var ps problems
		if got := ps.present(c.p, c.v, c.given, "local"); got != c.want {
			t.Errorf("present(%s, %q, %v) = %v, want %v", c.p.Name, c.v, c.given, got, c.want)
		}
		got := ""
		if err := ps.err(); err != nil {
			got = err.Error()
		}
		if got != c.problems {
			t.Errorf("present(%s, %q, %v): problems %q, want %q", c.p.Name, c.v, c.given, got, c.problems)
		}
	}
}

func TestProblemsErrJoinsIndented(t *testing.T) {
	var ps problems
	if ps.err() != nil {
		t.Fatal("no problems must be no error")
	}
	ps.add("a %d", 1)
	ps.add("b")
	if got := ps.err().Error(); got != "a 1\n  b" {
		t.Errorf("err() = %q", got)
	}
}

func TestPageSize(t *testing.T) {
	cases := []struct {
		opts request.ListOptions
		want int
	}{
		{request.ListOptions{}, MaxPerPage},
		{request.ListOptions{PerPage: 500}, MaxPerPage},
		{request.ListOptions{PerPage: 2}, MinPerPage},
		{request.ListOptions{PerPage: 40}, 40},
		{request.ListOptions{Limit: 12}, 12},
		{request.ListOptions{Limit: 2}, MinPerPage},
		{request.ListOptions{Limit: 12, Page: 3}, MaxPerPage}, // a given page keeps the page size
		{request.ListOptions{Limit: 500, PerPage: 30}, 30},
	}
	for _, c := range cases {
		if got := pageSize(c.opts); got != c.want {
			t.Errorf("pageSize(%+v) = %d, want %d", c.opts, got, c.want)
		}
	}
}
