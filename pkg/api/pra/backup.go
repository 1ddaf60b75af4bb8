package pra

import (
	"context"
	"mime"
	"net/http"
	"time"
)

// Backup requests a backup of the appliance's configuration (API guide, "Backup API"). The caller streams File.Body
// to disk (see pkg/download) and closes it. The file name is the appliance's, or pra-backup-<UTC time>.
func (c *Client) Backup(ctx context.Context) (*File, error) {
	fallback := "pra-backup-" + time.Now().UTC().Format("20060102-150405")
	return c.openFile(ctx, http.MethodGet, BackupPath, nil, "backup", "", NSCommand, fallback)
}

// fileNameFrom returns the raw filename of a Content-Disposition header ("" when absent).
func fileNameFrom(h http.Header) string {
	if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		return params["filename"]
	}
	return ""
}
