package api

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

const (
	traceBodyLimit = 4 << 10 // bytes of a body shown in a trace
	traceReadLimit = 1 << 20 // bytes of a text body read to redact it as a whole
)

// tracer writes the debug trace. Each request gets a number so that concurrent requests can be told apart.
type tracer struct {
	w   io.Writer
	mu  sync.Mutex
	red *redactor
	seq atomic.Int64
}

func (t *tracer) printf(format string, args ...any) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, format, args...)
}

func (t *tracer) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = io.WriteString(t.w, s)
}

// traceTransport logs every round trip with secrets redacted. It never changes what is sent or received.
type traceTransport struct {
	base http.RoundTripper
	t    *tracer
}

func (tt *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	id := tt.t.seq.Add(1)
	send := req
	var reqBody []byte
	complete := true
	var bodyLen int64 = -1
	switch {
	case req.Body == nil || req.Body == http.NoBody:
	case req.GetBody != nil:
		// Read a copy so the body that goes on the wire is untouched.
		if rc, err := req.GetBody(); err == nil {
			reqBody, complete = readUpTo(rc, traceReadLimit)
			rc.Close()
			bodyLen = req.ContentLength
		}
	default:
		// A body that cannot be replayed: read it, then send an identical copy.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		send = req.Clone(req.Context())
		send.Body = io.NopCloser(bytes.NewReader(b))
		reqBody, bodyLen = b, int64(len(b))
	}

	var sb strings.Builder
	proto := req.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(&sb, "> [%d] %s %s %s\n", id, req.Method, tt.t.red.url(req.URL), proto)
	h := req.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if req.Host != "" && req.Host != req.URL.Host {
		h.Set("Host", req.Host)
	}
	writeHeaders(&sb, "> ", tt.t.red.header(h))
	writeBody(&sb, "> ", tt.t.red, reqBody, complete, bodyLen, req.Header.Get("Content-Type"))
	tt.t.write(sb.String())

	start := time.Now()
	resp, err := tt.base.RoundTrip(send)
	elapsed := time.Since(start).Round(time.Millisecond)
	if err != nil {
		tt.t.printf("< [%d] error after %s: %s\n", id, elapsed, scrubErr(err, tt.t.red))
		return resp, err
	}

	sb.Reset()
	fmt.Fprintf(&sb, "< [%d] %s %s in %s\n", id, resp.Proto, resp.Status, elapsed)
	writeHeaders(&sb, "< ", tt.t.red.header(resp.Header))
	ct := resp.Header.Get("Content-Type")
	switch {
	case resp.Body == nil || resp.Body == http.NoBody || req.Method == http.MethodHead:
	case binaryType(ct):
		if resp.ContentLength >= 0 {
			fmt.Fprintf(&sb, "<\n< [%d bytes binary]\n", resp.ContentLength)
		} else {
			// Count the bytes as the caller reads them and report at Close.
			resp.Body = &countingBody{rc: resp.Body, done: func(n int64) {
				tt.t.printf("< [%d] [%d bytes binary]\n", id, n)
			}}
		}
	default:
		b, all := readUpTo(resp.Body, traceReadLimit)
		if all {
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b))
		} else {
			resp.Body = readCloser{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
		}
		writeBody(&sb, "< ", tt.t.red, b, all, resp.ContentLength, ct)
	}
	tt.t.write(sb.String())
	return resp, nil
}

// readUpTo reads at most limit bytes; all reports whether the reader was exhausted.
func readUpTo(r io.Reader, limit int64) (b []byte, all bool) {
	b, _ = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], false
	}
	return b, true
}

type readCloser struct {
	io.Reader
	io.Closer
}

type countingBody struct {
	rc   io.ReadCloser
	n    int64
	once sync.Once
	done func(int64)
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingBody) Close() error {
	c.once.Do(func() { c.done(c.n) })
	return c.rc.Close()
}

func writeHeaders(sb *strings.Builder, prefix string, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(sb, "%s%s: %s\n", prefix, k, v)
		}
	}
}

// writeBody prints a redacted, truncated body, or a size note for binary content.
func writeBody(sb *strings.Builder, prefix string, red *redactor, b []byte, complete bool, total int64, contentType string) {
	if len(b) == 0 {
		return
	}
	size := int64(len(b))
	if total > size {
		size = total
	}
	sb.WriteString(strings.TrimRight(prefix, " ") + "\n")
	if binaryType(contentType) || !looksText(b) {
		fmt.Fprintf(sb, "%s[%d bytes binary]\n", prefix, size)
		return
	}
	shown, cut := red.body(b, contentType, complete)
	if len(shown) > traceBodyLimit {
		shown = shown[:traceBodyLimit]
		for len(shown) > 0 && !utf8.Valid(shown) {
			shown = shown[:len(shown)-1]
		}
		cut = true
	}
	for _, line := range strings.Split(strings.TrimRight(string(shown), "\n"), "\n") {
		sb.WriteString(prefix)
		sb.WriteString(line)
		sb.WriteByte('\n')
	}
	if cut || !complete {
		if complete {
			fmt.Fprintf(sb, "%s… [truncated, %d bytes in all]\n", prefix, size)
		} else {
			fmt.Fprintf(sb, "%s… [truncated, more than %d bytes]\n", prefix, len(b))
		}
	}
}

// binaryType reports content types that are never shown as text.
func binaryType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(ct))
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.Contains(mt, "json"), strings.Contains(mt, "xml"),
		strings.Contains(mt, "javascript"), strings.Contains(mt, "yaml"),
		mt == "application/x-www-form-urlencoded":
		return false
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"),
		strings.HasPrefix(mt, "application/"), strings.HasPrefix(mt, "font/"), strings.HasPrefix(mt, "multipart/"):
		return true
	}
	return false
}

// looksText reports whether b is valid UTF-8 without control bytes other than whitespace.
func looksText(b []byte) bool {
	if !utf8.Valid(b) {
		// A multi-byte rune cut off at the end (by truncation) still counts as text.
		ok := false
		for k := 1; k < utf8.UTFMax && k < len(b); k++ {
			if utf8.Valid(b[:len(b)-k]) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}
