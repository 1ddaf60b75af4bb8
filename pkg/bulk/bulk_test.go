package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infractl/infra/pkg/api"
)

func TestReadFormats(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string // name field of each record
	}{
		{"a.jsonl", "{\"name\":\"web-1\",\"port\":22}\n\n{\"name\":\"web-2\"}\n", []string{"web-1", "web-2"}},
		{"a.csv", "name,hostname,tag\nweb-1,10.0.0.1,web\n\"web, 2\",10.0.0.2,\n", []string{"web-1", "web, 2"}},
		{"-", "name=web-1\nhostname=10.0.0.1\n\nname=\"web 2\"\ncomments=\"two\nlines\"\n", []string{"web-1", "web 2"}},
	}
	for _, c := range cases {
		recs, err := Read(strings.NewReader(c.in), c.name, "")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(recs) != len(c.want) {
			t.Fatalf("%s: %d records, want %d", c.name, len(recs), len(c.want))
		}
		for i, r := range recs {
			if got := r.Field("name"); got != c.want[i] {
				t.Errorf("%s record %d: name %q, want %q", c.name, i+1, got, c.want[i])
			}
			if r.Index != i+1 || r.Key == "" {
				t.Errorf("%s record %d: index %d key %q", c.name, i+1, r.Index, r.Key)
			}
		}
	}
	recs, _ := Read(strings.NewReader("name,tag\nweb-1,\n"), "x.csv", "")
	if len(recs[0].Pairs) != 1 {
		t.Errorf("empty CSV cell must be left out: %+v", recs[0].Pairs)
	}
	if recs[0].Line != 2 {
		t.Errorf("CSV record line %d, want 2", recs[0].Line)
	}
}

func TestReadErrorsNameTheLine(t *testing.T) {
	for in, want := range map[string]string{
		"{\"name\":\"a\"}\n{broken\n":    "line 2",
		"{\"a\":1} {\"b\":2}\n":          "line 1: more than one",
		"":                               "no records",
		"name,name\na,b\n":               "appears twice",
		"name=ok\n\nname=\"unterminated": "line 3",
	} {
		_, err := Read(strings.NewReader(in), "-", "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Read(%q) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestKeyIgnoresOrder(t *testing.T) {
	a, _ := Read(strings.NewReader(`{"a":1,"b":"x"}`), "a.jsonl", "")
	b, _ := Read(strings.NewReader(`{"b":"x","a":1}`), "a.jsonl", "")
	c, _ := Read(strings.NewReader(`{"b":"y","a":1}`), "a.jsonl", "")
	if a[0].Key != b[0].Key || a[0].Key == c[0].Key {
		t.Fatalf("keys: %s %s %s", a[0].Key, b[0].Key, c[0].Key)
	}
}

func TestJournalTornLastLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := OpenJournal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Write(Entry{Key: "k1", Index: 1, State: StateDone, ID: "7"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"k2","ind`)
	f.Close()
	j, err = OpenJournal(p)
	if err != nil {
		t.Fatalf("torn last line must be tolerated: %v", err)
	}
	if e, ok := j.Get("k1"); !ok || e.ID != "7" {
		t.Fatalf("k1 = %+v %v", e, ok)
	}
	if err := j.Write(Entry{Key: "k2", Index: 2, State: StateDone}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, err = OpenJournal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Get("k2"); !ok {
		t.Fatal("entry after a torn line was lost")
	}
	j.Close()
	os.WriteFile(p, []byte("garbage\n{\"key\":\"k\",\"state\":\"done\"}\n"), 0o600)
	if _, err := OpenJournal(p); err == nil {
		t.Fatal("a corrupt line that is not the last must be an error")
	}
}

// store is a tiny create-by-name server that commits and then, when told to, drops the answer.
type store struct {
	mu      sync.Mutex
	items   map[string]int
	next    int
	posts   atomic.Int64
	dropN   atomic.Int64 // drop the answer of the next N creates after committing
	fail503 atomic.Int64 // answer the next N creates 503 without committing
}

func (s *store) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

func (s *store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		s.posts.Add(1)
		if s.fail503.Load() > 0 {
			s.fail503.Add(-1)
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"message":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		var body struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if _, dup := s.items[body.Name]; dup {
			http.Error(w, `{"message":"duplicate"}`, http.StatusUnprocessableEntity)
			return
		}
		s.next++
		s.items[body.Name] = s.next
		if s.dropN.Load() > 0 {
			s.dropN.Add(-1)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // committed, answer lost
			return
		}
		fmt.Fprintf(w, `{"id":%d}`, s.next)
	case http.MethodGet:
		name := r.URL.Query().Get("name")
		if id, ok := s.items[name]; ok {
			fmt.Fprintf(w, `[{"id":%d,"name":%q}]`, id, name)
			return
		}
		fmt.Fprint(w, `[]`)
	}
}

func createTask(c *api.Client) Task {
	return func(ctx context.Context, rec Record, resumed bool) (string, int, error) {
		name := rec.Field("name")
		return Once{
			Backoff: time.Millisecond,
			Do: func(ctx context.Context) (string, error) {
				req, err := c.NewRequest(ctx, http.MethodPost, "/items", map[string]any{"name": name})
				if err != nil {
					return "", err
				}
				var out struct{ ID int }
				if _, err := c.DoJSON(req, &out); err != nil {
					return "", err
				}
				return fmt.Sprint(out.ID), nil
			},
			Resolve: func(ctx context.Context) (string, bool, error) {
				req, err := c.NewRequest(ctx, http.MethodGet, "/items?name="+name, nil)
				if err != nil {
					return "", false, err
				}
				var out []struct{ ID int }
				if _, err := c.DoJSON(req, &out); err != nil {
					return "", false, err
				}
				if len(out) == 1 {
					return fmt.Sprint(out[0].ID), true, nil
				}
				return "", false, nil
			},
		}.Run(ctx, resumed)
	}
}

func records(t *testing.T, n int) []Record {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "{\"name\":\"item-%d\"}\n", i)
	}
	recs, err := Read(strings.NewReader(b.String()), "x.jsonl", "")
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestExactlyOnceWhenAnswersAreLost(t *testing.T) {
	s := &store{items: map[string]int{}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, err := api.New(api.Options{BaseURL: srv.URL, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	s.dropN.Store(10)
	s.fail503.Store(5)
	recs := records(t, 60)
	j, err := OpenJournal(filepath.Join(t.TempDir(), "j"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), recs, createTask(c), Options{Concurrency: 6, Journal: j})
	if err != nil {
		t.Fatalf("run: %v (%+v)", err, sum.Failures)
	}
	if sum.Done != 60 || s.count() != 60 {
		t.Fatalf("done %d, server holds %d, want 60 each", sum.Done, s.count())
	}
	if got := s.posts.Load(); got != 60+5 {
		t.Fatalf("server saw %d creates; want 65 (60 + 5 answered 503); lost answers must be resolved, not re-sent", got)
	}
	for _, e := range j.Entries() {
		if e.State != StateDone || e.ID == "" {
			t.Fatalf("journal entry %+v", e)
		}
	}
}

func TestResumeAfterInterruptSkipsDoneAndResolvesStarted(t *testing.T) {
	s := &store{items: map[string]int{}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, _ := api.New(api.Options{BaseURL: srv.URL, MaxRetries: 0})
	recs := records(t, 40)
	path := filepath.Join(t.TempDir(), "j")
	j, _ := OpenJournal(path)
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	task := createTask(c)
	_, err := Run(ctx, recs, func(ctx context.Context, rec Record, resumed bool) (string, int, error) {
		if n.Add(1) == 15 {
			cancel()
		}
		return task(ctx, rec, resumed)
	}, Options{Concurrency: 3, Journal: j})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	j.Close()
	before := s.count()
	if before == 0 || before == 40 {
		t.Fatalf("interrupt should stop midway, server holds %d", before)
	}
	j, _ = OpenJournal(path)
	sum, err := Run(context.Background(), recs, task, Options{Concurrency: 3, Journal: j})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if s.count() != 40 || sum.Done+sum.Skipped != 40 || sum.Skipped == 0 {
		t.Fatalf("after resume: server %d items, summary %+v", s.count(), sum)
	}
	if got := s.posts.Load(); got != 40 {
		t.Fatalf("%d creates sent for 40 items", got)
	}
}

func TestFailuresReportedPerRecord(t *testing.T) {
	s := &store{items: map[string]int{"item-3": 1}, next: 1}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c, _ := api.New(api.Options{BaseURL: srv.URL, MaxRetries: 0})
	sum, err := Run(context.Background(), records(t, 5), createTask(c), Options{})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	if sum.Failed != 1 || sum.Failures[0].Index != 4 || !strings.Contains(sum.Failures[0].Error, "duplicate") {
		t.Fatalf("summary %+v", sum)
	}
}

func TestClassify(t *testing.T) {
	for err, want := range map[error]Class{
		&api.HTTPError{StatusCode: 429}:                  NotProcessed,
		&api.HTTPError{StatusCode: 503}:                  NotProcessed,
		&api.HTTPError{StatusCode: 502}:                  Ambiguous,
		&api.HTTPError{StatusCode: 500}:                  Ambiguous,
		&api.HTTPError{StatusCode: 422}:                  Permanent,
		&api.UsageError{Err: errors.New("x")}:            Permanent,
		fmt.Errorf("wrap: %w", context.Canceled):         Permanent,
		errors.New("read tcp: connection reset by peer"): Ambiguous,
	} {
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %d, want %d", err, got, want)
		}
	}
}

// TestResumedLookupRetriesTransientFailures: the look-up that starts a resumed record is retried like any other.
func TestResumedLookupRetriesTransientFailures(t *testing.T) {
	calls := 0
	id, sends, err := Once{
		Backoff: time.Millisecond,
		Do:      func(context.Context) (string, error) { return "", errors.New("must not be sent: the item exists") },
		Resolve: func(context.Context) (string, bool, error) {
			calls++
			if calls < 3 {
				return "", false, &api.HTTPError{StatusCode: http.StatusUnauthorized}
			}
			return "7", true, nil
		},
	}.Run(context.Background(), true)
	if err != nil || id != "7" || sends != 0 || calls != 3 {
		t.Fatalf("id %q sends %d look-ups %d err %v", id, sends, calls, err)
	}
}

// TestKeyWithoutSecrets: a record's key leaves the secret fields out, so the journal holds nothing derived from them.
func TestKeyWithoutSecrets(t *testing.T) {
	secret := func(k string) bool { return k == "password" }
	for _, format := range []string{"{\"username\":\"a\",\"password\":\"%s\"}\n", "username=a\npassword=%s\n"} {
		read := func(pw string) Record {
			recs, err := Read(strings.NewReader(fmt.Sprintf(format, pw)), "-", "")
			if err != nil || len(recs) != 1 {
				t.Fatalf("Read: %v %v", recs, err)
			}
			return recs[0]
		}
		a, b := read("one-secret"), read("other-secret")
		if a.Key == b.Key {
			t.Errorf("%q: the plain key should depend on every field", format)
		}
		if a.KeyWithout(secret) != b.KeyWithout(secret) {
			t.Errorf("%q: the key without secrets depends on the password", format)
		}
		if a.KeyWithout(secret) == read("x").KeyWithout(func(string) bool { return false }) {
			t.Errorf("%q: leaving nothing out gives the same key", format)
		}
	}
}

// TestOutcomeNumericID: the id is a JSON number when the resource's ids are, a string otherwise.
func TestOutcomeNumericID(t *testing.T) {
	for _, c := range []struct {
		o    Outcome
		want string
	}{
		{Outcome{ID: "42", NumericID: true}, `"id":42`},
		{Outcome{ID: "42"}, `"id":"42"`},
		{Outcome{ID: "a-1", NumericID: true}, `"id":"a-1"`},
	} {
		b, err := json.Marshal(c.o)
		if err != nil || !strings.Contains(string(b), c.want) {
			t.Errorf("%+v: %s (%v), want %s", c.o, b, err, c.want)
		}
	}
	b, _ := json.Marshal(Outcome{NumericID: true})
	if strings.Contains(string(b), `"id"`) {
		t.Errorf("no id: %s", b)
	}
}
