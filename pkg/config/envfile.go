package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// envFile holds the variables of an --env-file.
type envFile struct {
	path string
	vars map[string]string
}

// readEnvFile parses a btapi-compatible environment file:
//
//	# comment
//	export BT_API_HOST=access.example.com
//	BT_CLIENT_ID = "abc123"
//	BT_CLIENT_SECRET='s3cr3t'
//
// Blank lines and lines starting with '#' are skipped; an "export " prefix is allowed. Unquoted values run to the end
// of the line with surrounding spaces trimmed ('#' inside them is kept). Single quotes are literal; double quotes
// understand \\, \", \n, \t, \r and \$. After a closing quote only spaces and a '#' comment may follow. Errors name the
// file and line but never the value.
func readEnvFile(path string) (*envFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	vars, err := parseEnv(path, data)
	if err != nil {
		return nil, err
	}
	return &envFile{path: path, vars: vars}, nil
}

func parseEnv(path string, data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		errf := func(format string, a ...any) error {
			return fmt.Errorf("env file %s, line %d: %s", path, n, fmt.Sprintf(format, a...))
		}
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			line = strings.TrimSpace(rest)
		}
		name, raw, ok := strings.Cut(line, "=")
		if !ok {
			return nil, errf("expected NAME=VALUE")
		}
		name = strings.TrimSpace(name)
		if !validEnvName(name) {
			return nil, errf("invalid variable name %q", name)
		}
		value, err := envValue(strings.TrimSpace(raw))
		if err != nil {
			return nil, errf("%s: %v", name, err)
		}
		vars[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env file %s, line %d: %w", path, n+1, err)
	}
	return vars, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// envValue decodes the text after '='.
func envValue(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	q := raw[0]
	if q != '"' && q != '\'' {
		return raw, nil
	}
	var b strings.Builder
	i := 1
	closed := false
	for i < len(raw) {
		c := raw[i]
		if c == q {
			closed = true
			i++
			break
		}
		if q == '"' && c == '\\' && i+1 < len(raw) {
			i++
			switch e := raw[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '$', '`':
				b.WriteByte(e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			i++
			continue
		}
		b.WriteByte(c)
		i++
	}
	if !closed {
		return "", fmt.Errorf("unterminated %c quote", q)
	}
	if rest := strings.TrimSpace(raw[i:]); rest != "" && !strings.HasPrefix(rest, "#") {
		return "", fmt.Errorf("unexpected text after the closing quote")
	}
	return b.String(), nil
}
