package request

import (
	"fmt"
	"net/url"
)

// MaxPages is the most pages one list command fetches (a million items at PRA's 100 per page). A site that claims
// more, or whose next links do not end, gets an error rather than an endless loop.
const MaxPages = 10000

// PageGuard follows a list's next links safely: a link to a page already fetched is refused (the site's paging
// loops) and at most Max pages are fetched. The zero value uses MaxPages.
type PageGuard struct {
	Max  int
	seen map[string]bool
}

// Visit records the page at link (a URL or path with query) and fails if it was fetched before or the cap is reached.
func (g *PageGuard) Visit(link string) error {
	if g.seen == nil {
		g.seen = map[string]bool{}
	}
	key := pageKey(link)
	if g.seen[key] {
		return fmt.Errorf("the site's next link points at a page already fetched (%s): its paging loops, so the list stops here", key)
	}
	if err := g.Allow(len(g.seen) + 1); err != nil {
		return err
	}
	g.seen[key] = true
	return nil
}

// Allow fails when n pages would be more than the cap.
func (g *PageGuard) Allow(n int) error {
	limit := g.Max
	if limit <= 0 {
		limit = MaxPages
	}
	if n > limit {
		return fmt.Errorf("the list has more than %d pages, the most one command fetches: narrow it with a filter or --limit", limit)
	}
	return nil
}

// pageKey identifies a page by its path and its query parameters in a fixed order.
func pageKey(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	key := u.EscapedPath()
	if q := u.Query(); len(q) > 0 {
		key += "?" + q.Encode()
	}
	return key
}
