package simutil

import (
	"net/url"
	"strconv"
	"strings"
)

// Page describes one page of a paginated listing. Page numbers are 1-based.
type Page struct {
	Current int // requested page
	PerPage int // page size
	Last    int // last page number; at least 1 even when Total is 0
	Total   int // number of matching items across all pages
}

// NewPage computes the page layout for total items split into pages of
// perPage items, positioned at page current. perPage must be positive.
func NewPage(total, perPage, current int) Page {
	if perPage < 1 {
		perPage = 1
	}
	last := (total + perPage - 1) / perPage
	if last < 1 {
		last = 1
	}
	return Page{Current: current, PerPage: perPage, Last: last, Total: total}
}

// Bounds returns the half-open index range [start, end) of the current page
// within the full result list. Pages past the end give an empty range.
func (p Page) Bounds() (start, end int) {
	start = (p.Current - 1) * p.PerPage
	if start < 0 {
		start = 0
	}
	if start > p.Total {
		start = p.Total
	}
	end = start + p.PerPage
	if end > p.Total {
		end = p.Total
	}
	return start, end
}

// HasPrevious reports whether the page before the current one exists.
func (p Page) HasPrevious() bool { return p.Current-1 >= 1 && p.Current-1 <= p.Last }

// HasNext reports whether the page after the current one exists.
func (p Page) HasNext() bool { return p.Current+1 <= p.Last }

// QueryParam is one query-string pair, kept in request order.
type QueryParam struct {
	Key, Value string
}

// ParseQueryOrdered splits a raw query string into its pairs in the order they
// appear, decoding each key and value. Malformed escapes are kept verbatim.
func ParseQueryOrdered(raw string) []QueryParam {
	var out []QueryParam
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, QueryParam{Key: k, Value: v})
	}
	return out
}

// LinkNames are the query parameter names and rel values used to build a
// pagination Link header.
type LinkNames struct {
	PerPageParam     string // e.g. "per_page"
	CurrentPageParam string // e.g. "current_page"
	First, Previous  string // rel values, e.g. "first", "previous"
	Next, Last       string // rel values, e.g. "next", "last"
}

// LinkHeader builds an RFC 8288 Link header value for page p of the listing
// at base. Every other query parameter of base is kept in its original order,
// followed by the page size and page number parameters. The first and last
// links are always present; previous and next only when those pages exist.
// Entries are separated by ", ".
func LinkHeader(base *url.URL, p Page, n LinkNames) string {
	var keep []QueryParam
	for _, q := range ParseQueryOrdered(base.RawQuery) {
		if q.Key == n.PerPageParam || q.Key == n.CurrentPageParam {
			continue
		}
		keep = append(keep, q)
	}
	link := func(page int, rel string) string {
		u := *base
		var b strings.Builder
		for _, q := range keep {
			b.WriteString(url.QueryEscape(q.Key))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(q.Value))
			b.WriteByte('&')
		}
		b.WriteString(n.PerPageParam + "=" + strconv.Itoa(p.PerPage))
		b.WriteString("&" + n.CurrentPageParam + "=" + strconv.Itoa(page))
		u.RawQuery = b.String()
		u.Fragment = ""
		return "<" + u.String() + `>; rel="` + rel + `"`
	}
	parts := []string{link(1, n.First)}
	if p.HasPrevious() {
		parts = append(parts, link(p.Current-1, n.Previous))
	}
	if p.HasNext() {
		parts = append(parts, link(p.Current+1, n.Next))
	}
	parts = append(parts, link(p.Last, n.Last))
	return strings.Join(parts, ", ")
}
