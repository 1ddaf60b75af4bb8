package virtomizesim

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"time"
)

func unixNano(n int64) time.Time { return time.Unix(0, n) }

// backupEntry is the name of the state document inside a backup archive.
const backupEntry = "virtomize/state.json"

// encodeBackup packs st into a gzip-compressed tar archive.
func encodeBackup(st *state, version string, mtime int64) ([]byte, error) {
	doc, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	files := []struct {
		name string
		data []byte
	}{
		{"virtomize/VERSION", []byte(version + "\n")},
		{backupEntry, doc},
	}
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.data)), ModTime: unixNano(mtime), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeBackup reads a state back from an archive made by encodeBackup.
func decodeBackup(data []byte) (*state, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, errors.New("not a gzip archive")
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, errors.New("archive holds no " + backupEntry)
		}
		if err != nil {
			return nil, errors.New("damaged archive")
		}
		if hdr.Name != backupEntry {
			continue
		}
		doc, err := io.ReadAll(io.LimitReader(tr, maxBody))
		if err != nil {
			return nil, errors.New("damaged archive")
		}
		st := &state{}
		if err := json.Unmarshal(doc, st); err != nil {
			return nil, errors.New("state is not valid JSON")
		}
		if st.Format != stateFormat {
			return nil, errors.New("unsupported backup format")
		}
		st.normalize()
		for _, v := range st.VMs {
			if v.Snapshots == nil {
				v.Snapshots = []*snapshot{}
			}
		}
		return st, nil
	}
}

func hBackupGet(c *call) (any, error) {
	data, err := encodeBackup(c.st, c.s.version, c.now.UnixNano())
	if err != nil {
		return nil, err
	}
	c.s.logf(c.now, "core", "info", "backup downloaded by "+c.user.Username, c.user.Username)
	return &download{name: "virtomize-backup-" + c.now.UTC().Format("20060102-150405") + ".tar.gz", data: data}, nil
}

// hBackupRestore replaces the whole state with the one in the uploaded
// archive (multipart field "backup", or a raw application/octet-stream body).
func hBackupRestore(c *call) (any, error) {
	data := c.f.file("backup", true)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	st, err := decodeBackup(data)
	if err != nil {
		return nil, invalid("backup", "%s", err.Error())
	}
	c.s.st = st
	c.st = st
	c.s.logf(c.now, "core", "info", "backup restored by "+c.user.Username, c.user.Username)
	return msgResult{"backup restored"}, nil
}
