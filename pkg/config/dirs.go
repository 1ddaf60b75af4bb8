package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

const appName = "infra"

// ConfigDir returns the directory of config.yaml: $INFRA_CONFIG_DIR, else $XDG_CONFIG_HOME/infra, else
// ~/.config/infra (macOS included); on Windows the last fallback is os.UserConfigDir()/infra.
func ConfigDir() string { return configDir(os.Getenv) }

// ConfigDirFrom is ConfigDir reading the environment through getenv.
func ConfigDirFrom(getenv func(string) string) string { return configDir(getenv) }

// CacheDirFrom is CacheDir reading the environment through getenv.
func CacheDirFrom(getenv func(string) string) string { return cacheDir(getenv) }

// CacheDir returns the directory for caches such as tokens: $INFRA_CACHE_DIR, else $XDG_CACHE_HOME/infra, else
// os.UserCacheDir()/infra.
func CacheDir() string { return cacheDir(os.Getenv) }

func configDir(getenv func(string) string) string {
	if d := getenv("INFRA_CONFIG_DIR"); d != "" {
		return expandHome(d, getenv)
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, appName)
	}
	if runtime.GOOS == "windows" {
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, appName)
		}
	}
	if h := homeDir(getenv); h != "" {
		return filepath.Join(h, ".config", appName)
	}
	return filepath.Join(os.TempDir(), appName, "config")
}

func cacheDir(getenv func(string) string) string {
	if d := getenv("INFRA_CACHE_DIR"); d != "" {
		return expandHome(d, getenv)
	}
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, appName)
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, appName)
	}
	return filepath.Join(os.TempDir(), appName, "cache")
}

func homeDir(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// expandHome replaces a leading "~" (alone or followed by a path separator) with the home directory.
func expandHome(p string, getenv func(string) string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || (runtime.GOOS == "windows" && strings.HasPrefix(p, `~\`)) {
		if h := homeDir(getenv); h != "" {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}
