package cmdutil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/infractl/infra/internal/fsutil"
	"github.com/infractl/infra/pkg/config"
	"github.com/infractl/infra/pkg/termsafe"
)

// Completion limits: a shell waits for candidates, so a site is asked for at most CompletionTimeout, and what it
// answered is reused for CompletionTTL (pressing Tab again, completing the next argument).
const (
	CompletionTimeout = 2 * time.Second
	CompletionTTL     = 60 * time.Second
)

// SiteKey identifies the configured site of vendor for completion caches: its host and identity. It is "" when no
// host is configured (or the configuration cannot be read): completion then asks nothing of any network.
func (f *Factory) SiteKey(vendor string) string {
	u, err := f.Unit(vendor)
	if err != nil {
		return ""
	}
	host := u.String("host")
	if strings.TrimSpace(host) == "" {
		return ""
	}
	return vendor + "|" + host + "|" + u.Identity()
}

// Candidates returns completion candidates ("ID\tNAME") for the objects fetch lists from the site named by site
// (see SiteKey): nothing when site is "", the cached answer when it is younger than CompletionTTL, else what fetch
// answers within CompletionTimeout (nothing on any error). idField and nameField pick the fields of each object.
func (f *Factory) Candidates(ctx context.Context, site, what, idField, nameField string, fetch func(ctx context.Context) ([]any, error)) []string {
	if site == "" {
		return nil
	}
	dir := filepath.Join(config.CacheDirFrom(f.Getenv), "completion")
	sum := sha256.Sum256([]byte(site + "\x00" + what))
	path := filepath.Join(dir, hex.EncodeToString(sum[:16])+".json")
	if st, err := os.Lstat(path); err == nil && time.Since(st.ModTime()) < CompletionTTL {
		if data, err := fsutil.ReadFile(path, 4<<20); err == nil {
			var cached []string
			if json.Unmarshal(data, &cached) == nil {
				return cached
			}
		}
	}
	if ctx == nil {
		ctx = context.Background() // cobra runs completion functions on commands it did not execute
	}
	ctx, cancel := context.WithTimeout(ctx, CompletionTimeout)
	defer cancel()
	items, err := fetch(ctx)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok || m[idField] == nil {
			continue
		}
		c := termsafe.Line(fmt.Sprint(m[idField]))
		if name, ok := m[nameField].(string); ok && name != "" {
			c += "\t" + termsafe.Line(name)
		}
		out = append(out, c)
	}
	if data, err := json.Marshal(out); err == nil && fsutil.PrivateDir(filepath.Dir(dir)) == nil && fsutil.PrivateDir(dir) == nil {
		_ = fsutil.WriteFileAtomic(path, data, 0o600)
	}
	return out
}
