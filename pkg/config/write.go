package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/infractl/infra/internal/fsutil"
)

// Set saves key in the config file: vendor keys in the selected profile, global keys at the top level. The value is
// checked against the option's type. Secrets are refused. Comments and other content of the file are kept; the file
// is rewritten atomically with mode 0600 (its directory is created 0700). The new value takes effect in c unless a
// flag, the environment or the env file overrides it.
func (c *Config) Set(key, value string) error {
	opt, err := lookup(key)
	if err != nil {
		return err
	}
	if opt.Sensitive {
		return fmt.Errorf("%s is a secret and is never stored in the config file: use `infra auth login %s` (OS keyring), "+
			"set %s in the environment, or pass it in an --env-file", key, opt.vendor, EnvName(key))
	}
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("%s: empty value (use `infra config unset %s` to remove a setting)", key, key)
	}
	return c.SetAll([][2]string{{key, value}})
}

// Check validates a value for key as Set would, without writing anything.
func (c *Config) Check(key, value string) error {
	opt, err := lookup(key)
	if err != nil {
		return err
	}
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("empty value")
	}
	_, err = opt.normalize(value)
	return err
}

// SetAll saves several settings in one rewrite of the config file: either all of them are written or none is
// (auth login saves a whole connection unit this way). Each is checked as Set checks it.
func (c *Config) SetAll(pairs [][2]string) error {
	type item struct {
		opt   *option
		value string
	}
	var items []item
	for _, p := range pairs {
		opt, err := lookup(p[0])
		if err != nil {
			return err
		}
		if opt.Sensitive {
			return fmt.Errorf("%s is a secret and is never stored in the config file", p[0])
		}
		v, err := opt.normalize(p[1])
		if err != nil || strings.TrimSpace(p[1]) == "" {
			if err == nil {
				err = fmt.Errorf("empty value")
			}
			return fmt.Errorf("%s: %w", p[0], err)
		}
		items = append(items, item{opt, v})
	}
	if len(items) == 0 {
		return nil
	}
	return c.edit(func(root *yaml.Node) {
		for _, it := range items {
			setScalar(c.target(root, it.opt, true), it.opt.name, it.value, it.opt.Type)
		}
	})
}

// Unset removes key from the config file (from the selected profile for vendor keys). Removing a key that is not in
// the file is not an error. Emptied vendor and profile sections are removed too.
func (c *Config) Unset(key string) error {
	opt, err := lookup(key)
	if err != nil {
		return err
	}
	if opt.Sensitive {
		return fmt.Errorf("%s is a secret and is never stored in the config file: remove a stored secret with `infra auth logout %s`", key, opt.vendor)
	}
	return c.edit(func(root *yaml.Node) {
		if opt.Global {
			deleteKey(root, opt.name)
			return
		}
		profiles := mapValue(root, "profiles", false)
		prof := mapValue(profiles, c.profile, false)
		section := mapValue(prof, opt.vendor, false)
		if section == nil {
			return
		}
		deleteKey(section, opt.name)
		if len(section.Content) == 0 {
			deleteKey(prof, opt.vendor)
		}
		if len(prof.Content) == 0 {
			deleteKey(profiles, c.profile)
		}
		if len(profiles.Content) == 0 {
			deleteKey(root, "profiles")
		}
	})
}

// edit applies change to the YAML document of the config file, writes it back and reloads the file layer.
func (c *Config) edit(change func(root *yaml.Node)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := os.ReadFile(c.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("config file %s: %w", c.path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s: the top level must be a mapping", c.path)
	}
	root := doc.Content[0]
	change(root)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("config file %s: %w", c.path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("config file %s: %w", c.path, err)
	}
	fd, err := parseCheck(c.path, buf.Bytes())
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(c.path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write config file: %w", err)
	}
	c.file = fd
	return nil
}

// parseCheck validates the new content the same way Load would, before it replaces the file.
func parseCheck(path string, data []byte) (*fileData, error) {
	return parseConfig(path, data)
}

// target returns the mapping that holds opt: the root for global options, profiles.<profile>.<vendor> otherwise.
func (c *Config) target(root *yaml.Node, opt *option, create bool) *yaml.Node {
	if opt.Global {
		return root
	}
	profiles := mapValue(root, "profiles", create)
	prof := mapValue(profiles, c.profile, create)
	return mapValue(prof, opt.vendor, create)
}

// findKey returns the index of key's key node in mapping m, or -1. Keys compare case-insensitively, as viper reads them.
func findKey(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if strings.EqualFold(m.Content[i].Value, key) {
			return i
		}
	}
	return -1
}

// mapValue returns the mapping under key in m, creating it (or replacing an empty or scalar value) when create is set.
func mapValue(m *yaml.Node, key string, create bool) *yaml.Node {
	if m == nil {
		return nil
	}
	i := findKey(m, key)
	if i >= 0 {
		v := m.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v.Kind == yaml.MappingNode {
			if create && v.Style&yaml.FlowStyle != 0 {
				// A flow mapping stays valid YAML after an edit; block style reads better once it grows.
				v.Style = 0
			}
			return v
		}
		if !create {
			return nil
		}
		nv := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		m.Content[i+1] = nv
		return nv
	}
	if !create {
		return nil
	}
	nv := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, nv)
	return nv
}

func setScalar(m *yaml.Node, key, value, typ string) {
	// Strings are tagged so that the encoder quotes values that would otherwise read as another type ("no", "1.0").
	tag := "!!str"
	if typ == TypeBool || typ == TypeInt || typ == TypeFloat {
		tag = ""
	}
	node := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	if tag == "!!str" && yaml11Bool(value) {
		// YAML 1.1 readers take these words for booleans; quoting keeps the file unambiguous for every reader.
		node.Style = yaml.DoubleQuotedStyle
	}
	if i := findKey(m, key); i >= 0 {
		old := m.Content[i+1]
		node.HeadComment, node.LineComment, node.FootComment = old.HeadComment, old.LineComment, old.FootComment
		m.Content[i+1] = node
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, node)
}

func deleteKey(m *yaml.Node, key string) {
	if i := findKey(m, key); i >= 0 {
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
	}
}

func yaml11Bool(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off":
		return true
	}
	return false
}
