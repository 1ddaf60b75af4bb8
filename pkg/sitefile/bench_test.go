package sitefile

import (
	"bytes"
	"context"
	"fmt"
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

// BenchmarkPlan10k: read, parse and compare a site of 10,000 Jump Items (go test -bench Plan -run X ./pkg/sitefile).
func BenchmarkPlan10k(b *testing.B) {
	c := praCatalog()
	be := bigSite(10000)
	kinds := []string{"jump-group", "jumpoint", "jump-item/shell-jump"}
	site, _ := c.Read(context.Background(), be, kinds, ReadOptions{})
	var buf bytes.Buffer
	if err := site.Export(&buf, kinds, ""); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		site, _ := c.Read(context.Background(), be, kinds, ReadOptions{})
		doc, err := c.Parse("site.yaml", buf.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		plan, err := site.Diff(doc, true)
		if err != nil || !plan.Empty() {
			b.Fatal(err, plan)
		}
	}
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
