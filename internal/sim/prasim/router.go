package prasim

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// routeMatch is a request path resolved against the document's templates.
type routeMatch struct {
	rt     *route
	ids    []int64           // integer path parameters, in order
	params map[string]string // every path parameter by name (raw)
	pnames []string          // parameter names in path order
}

// matchRoute resolves a path below the API base. When several templates fit,
// the one with the most literal segments wins, so "/jump-client/installer"
// beats "/jump-client/{id}".
func (m *apiModel) matchRoute(path string) (*routeMatch, bool) {
	segs := splitPath(path)
	var best *routeMatch
	for _, rt := range m.routes {
		if len(rt.segs) != len(segs) || (best != nil && rt.literals <= best.rt.literals) {
			continue
		}
		var ids []int64
		params := map[string]string{}
		var names []string
		pi := 0
		ok := true
		for i, seg := range segs {
			lit := rt.segs[i]
			if lit != "" {
				if lit != seg {
					ok = false
					break
				}
				continue
			}
			if pi >= len(rt.params) {
				ok = false
				break
			}
			p := rt.params[pi]
			pi++
			if !paramFits(p.Schema, seg) {
				ok = false
				break
			}
			if isIntegerParam(p) {
				id, _ := parseID(seg)
				ids = append(ids, id)
			}
			params[p.Name] = seg
			names = append(names, p.Name)
		}
		if ok {
			best = &routeMatch{rt: rt, ids: ids, params: params, pnames: names}
		}
	}
	return best, best != nil
}

// paramFits checks a raw path segment against its parameter schema: ids are
// positive decimal integers, enumerated strings one of their values, other
// strings non-empty and within their length bounds.
func paramFits(sr *openapi3.SchemaRef, seg string) bool {
	if sr == nil || sr.Value == nil {
		return seg != ""
	}
	s := sr.Value
	if s.Type != nil && s.Type.Is("integer") {
		_, ok := parseID(seg)
		return ok
	}
	if len(s.Enum) > 0 {
		return slices.ContainsFunc(s.Enum, func(e any) bool { return e == seg })
	}
	if seg == "" || strings.ContainsAny(seg, "/") {
		return false
	}
	if s.MaxLength != nil && uint64(len(seg)) > *s.MaxLength {
		return false
	}
	return uint64(len(seg)) >= s.MinLength
}
