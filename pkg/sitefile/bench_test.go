package sitefile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
)

func bigSite(n int) *fakeSite {
	f := seeded()
	prod := f.items["/jump-group"][0]["id"]
	jp := f.items["/jumpoint"][0]["id"]
	for i := 0; i < n; i++ {
		f.add("/jump-item/shell-jump", map[string]any{"name": fmt.Sprintf("host-%05d", i), "hostname": fmt.Sprintf("10.1.%d.%d", i/250, i%250),
			"jump_group_id": prod, "jumpoint_id": jp, "jump_group_type": "shared", "port": float64(22), "tag": "bench",
			"comments": "", "protocol": "ssh", "terminal": "xterm", "keep_alive": float64(0), "username": "root",
			"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "jump_policy_id": nil, "session_policy_id": nil})
	}
	return f
}

// BenchmarkPlan10k: read, parse and compare a site of 10,000 Jump Items (go test -bench Plan -run X ./pkg/sitefile),
// the file read from disk as plan reads it. Besides time and allocations it reports, in MiB: site-json, the objects
// of the site as compact JSON (what the API lists), and held, the heap the site and the document keep once read (the
// peak of a process, garbage included, is measured end to end by the bench row "site file: plan").
func BenchmarkPlan10k(b *testing.B) {
	c := praCatalog()
	be := bigSite(10000)
	kinds := []string{"jump-group", "jumpoint", "jump-item/shell-jump"}
	site, _ := c.Read(context.Background(), be, kinds, ReadOptions{})
	var buf bytes.Buffer
	if err := site.Export(&buf, kinds, ""); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "site.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	var siteJSON int
	for _, items := range be.items {
		for _, it := range items {
			j, _ := json.Marshal(it)
			siteJSON += len(j) + 1
		}
	}
	plan := func() (*Site, *Document) {
		doc, err := c.ParseFile(path)
		if err != nil {
			b.Fatal(err)
		}
		site, err := c.Read(context.Background(), be, doc.Kinds, ReadOptions{Doc: doc})
		if err != nil {
			b.Fatal(err)
		}
		p, err := site.Diff(doc, true)
		if err != nil || !p.Empty() {
			b.Fatal(err, p)
		}
		return site, doc
	}
	site, buf = nil, bytes.Buffer{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		plan()
	}
	b.StopTimer()
	before := heapInUse()
	site, doc := plan()
	held := heapInUse() - before
	runtime.KeepAlive(site)
	runtime.KeepAlive(doc)
	runtime.KeepAlive(be) // before counts the fake site
	b.ReportMetric(float64(held)/(1<<20), "held-MiB")
	b.ReportMetric(float64(siteJSON)/(1<<20), "site-json-MiB")
}

// heapInUse is the heap of live objects, after a collection.
func heapInUse() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func BenchmarkExport10k(b *testing.B) {
	c := praCatalog()
	be := bigSite(10000)
	kinds := []string{"jump-group", "jumpoint", "jump-item/shell-jump"}
	site, _ := c.Read(context.Background(), be, kinds, ReadOptions{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := site.Export(&buf, kinds, ""); err != nil {
			b.Fatal(err)
		}
	}
}
