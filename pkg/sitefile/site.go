package sitefile

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/infractl/infra/pkg/api/request"
	"github.com/infractl/infra/pkg/bulk"
)

// Site is what a live site holds of the kinds read: every object by natural key, and ids to names for references.
type Site struct {
	cat    *Catalog
	mu     sync.Mutex
	tables map[string]*table // kind → objects as listed
	// created are the ids of the objects apply created, by kind and lower-case name.
	created map[string]map[string]string
	names   map[string]map[string]string // kind → id → name, for the kinds that other kinds refer to
	// assocs holds the association entries read, by kind, object id and association name.
	assocs map[string][]map[string]any
	// exported are the kinds an export writes.
	exported map[string]bool
}

// ReadOptions control how a site is read.
type ReadOptions struct {
	Concurrency int // kinds listed at once (default 4); the client's rate limiter paces the requests
	// AllAssocs reads the associations of every object (export); Doc those of the objects a file gives them for.
	AllAssocs bool
	Doc       *Document
}

// Read lists the kinds named and every kind they refer to, all pages of each.
func (c *Catalog) Read(ctx context.Context, be request.Backend, kinds []string, o ReadOptions) (*Site, error) {
	want := map[string]bool{}
	for _, name := range kinds {
		k := c.Kind(name)
		if k == nil {
			return nil, fmt.Errorf("unknown kind %q", name)
		}
		want[name] = true
		for _, t := range k.Refs {
			want[t] = true
		}
		for _, a := range k.Assocs {
			for _, t := range a.Refs {
				want[t] = true
			}
		}
		if k.Refs["jump_group_id"] != "" && c.Kind("user") != nil {
			want["user"] = true // personal Jump Groups are users
		}
	}
	s := &Site{cat: c, tables: map[string]*table{}, created: map[string]map[string]string{}, names: map[string]map[string]string{},
		assocs: map[string][]map[string]any{}}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	workers := o.Concurrency
	if workers <= 0 {
		workers = 4
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := s.readKind(ctx, be, c.Kind(n)); err != nil {
				errs[i] = fmt.Errorf("listing %s: %w", n, err)
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	s.nameDerived()
	for _, n := range kinds {
		k := c.Kind(n)
		if len(k.Assocs) == 0 {
			continue
		}
		var names map[string]bool // nil: every object
		if !o.AllAssocs {
			if o.Doc != nil {
				names = o.Doc.withAssocs[k.Name]
			}
			if len(names) == 0 {
				continue
			}
		}
		if err := s.readAssocs(ctx, be, k, names); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// retryList runs a list, again from its first page when it fails transiently (a 500, a reset, a timeout: the HTTP
// core already retried what it may), a few times.
func retryList(ctx context.Context, list func() error) error {
	for attempt := 1; ; attempt++ {
		err := list()
		if err == nil || attempt == 6 || bulk.Classify(err) == bulk.Permanent || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// readKind lists every object of a kind.
func (s *Site) readKind(ctx context.Context, be request.Backend, k *Kind) error {
	var t *table
	call := &request.Call{Op: k.List, PathParams: map[string]string{}, Query: url.Values{}}
	err := retryList(ctx, func() error {
		t = newTable()
		return be.List(ctx, call, request.ListOptions{}, func(item any) error {
			if m, ok := item.(map[string]any); ok {
				t.add(k, k.keep(m))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	t.done()
	var names map[string]string
	if s.cat.referredTo(k.Name) {
		names = map[string]string{}
		for r := range t.rows {
			v, _ := t.get(r, k.Key)
			name, _ := v.(string)
			if id := t.id(r); name != "" && id != "" {
				names[id] = name
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[k.Name] = t
	s.names[k.Name] = names
	return nil
}

// keep trims a listed object to what a file can say of it (its natural key, id and writable fields): the site is
// held in memory once, without the read-only fields that make up most of a Jump Item.
func (k *Kind) keep(m map[string]any) map[string]any {
	out := make(map[string]any, len(k.Fields)+3)
	for _, name := range []string{k.Key, "id", "key", "uuid", "jump_group_type"} {
		if v, ok := m[name]; ok {
			out[name] = v
		}
	}
	for _, f := range k.Fields {
		if v, ok := m[f.Name]; ok {
			out[f.Name] = v
		}
	}
	return out
}

// Items returns the listed objects of a kind.
func (s *Site) Items(kind string) []map[string]any {
	var out []map[string]any
	for m := range s.rows(kind) {
		out = append(out, m)
	}
	return out
}

// rows yields the listed objects of a kind, each as a new map.
func (s *Site) rows(kind string) iter.Seq[map[string]any] {
	if t := s.tables[kind]; t != nil {
		return t.all()
	}
	return func(func(map[string]any) bool) {}
}

// find returns the row of the listed object of kind named name (the last one listed, if several are).
func (s *Site) find(kind, name string) (int, bool) {
	t := s.tables[kind]
	if t == nil {
		return 0, false
	}
	r, ok := t.index[strings.ToLower(name)]
	return int(r), ok
}

// ID returns the id of the object of kind named name.
func (s *Site) ID(kind, name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.created[kind][strings.ToLower(name)]; ok {
		return id, true
	}
	r, ok := s.find(kind, name)
	if !ok {
		return "", false
	}
	id := s.tables[kind].id(r)
	return id, id != ""
}

// remember records an object created by apply.
func (s *Site) remember(kind, name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.created[kind] == nil {
		s.created[kind] = map[string]string{}
	}
	if s.names[kind] == nil {
		s.names[kind] = map[string]string{}
	}
	s.created[kind][strings.ToLower(name)] = id
	s.names[kind][id] = name
}

// referredTo reports whether a kind's objects are referred to by id (a field or an association entry of some kind, or
// a personal Jump Group's user): the site then keeps their names by id.
func (c *Catalog) referredTo(kind string) bool {
	c.refOnce.Do(func() {
		c.targets = map[string]bool{"user": true}
		for _, k := range c.Kinds {
			for _, t := range k.Refs {
				c.targets[t] = true
			}
			for _, a := range k.Assocs {
				for _, t := range a.Refs {
					c.targets[t] = true
				}
			}
		}
	})
	return c.targets[kind]
}

// refKind is the kind an object's reference field points at: a Jump Item in a personal Jump Group belongs to a user.
func refKind(k *Kind, wire string, obj map[string]any) string {
	if wire == "jump_group_id" && obj["jump_group_type"] == "personal" {
		return "user"
	}
	return k.Refs[wire]
}

// view is a listed object as the file would describe it: writable fields only, references as Ref, numbers as
// float64. Fields the listing does not show are absent.
func (s *Site) view(k *Kind, item map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range k.Fields {
		v, ok := item[f.Name]
		if !ok || k.Secret[f.Name] {
			continue
		}
		if k.Duration[f.Name] {
			if ns, isNum := normalize(v).(float64); isNum {
				out[f.Name] = durationText(int64(ns))
				continue
			}
		}
		if _, isRef := k.Refs[f.Name]; isRef && v != nil {
			target := refKind(k, f.Name, item)
			out[f.Name] = s.refView(target, v)
			continue
		}
		out[f.Name] = normalize(v)
	}
	return out
}

// refView names the object an id refers to (each one of a list); an id the site does not know stays a number.
func (s *Site) refView(target string, v any) any {
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = s.refView(target, x)
		}
		return out
	}
	if name, ok := s.names[target][fmt.Sprint(normalizeID(v))]; ok {
		return Ref{Kind: target, Name: name}
	}
	return normalize(v)
}

func normalizeID(v any) any {
	switch t := normalize(v).(type) {
	case float64:
		return int64(t)
	default:
		return t
	}
}

func idOf(m map[string]any) string {
	for _, k := range []string{"id", "key", "uuid"} {
		if v, ok := m[k]; ok && v != nil {
			return fmt.Sprint(normalizeID(v))
		}
	}
	return ""
}
