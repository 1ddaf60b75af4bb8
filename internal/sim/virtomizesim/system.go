package virtomizesim

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

type opEntry struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

func hOverview(c *call) (any, error) {
	var paths []opEntry
	for _, op := range c.s.Operations() {
		m, p, _ := strings.Cut(op, " ")
		paths = append(paths, opEntry{Method: m, Path: p})
	}
	return map[string]any{"version": c.s.version, "paths": paths}, nil
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
}

// hToken issues a token for an appliance user (client_id = username,
// client_secret = password), from the query of a GET or the form of a POST.
func hToken(c *call) (any, error) {
	f := c.f
	for _, name := range []string{"grant_type", "grand_type"} {
		if v, ok := f.optStr(name); ok && v != "" && v != "client_credentials" {
			f.fail(name, "only client_credentials is supported")
		}
	}
	f.str("scope", false)
	id, _ := f.optStr("client_id")
	secret, _ := f.optStr("client_secret")
	if id == "" && secret == "" {
		if bu, bp, ok := c.r.BasicAuth(); ok {
			id, secret = bu, bp
		}
	}
	if id == "" {
		f.missing("client_id")
	}
	if secret == "" {
		f.missing("client_secret")
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	var u *user
	for _, cand := range c.st.Users {
		if cand.Username == id {
			u = cand
			break
		}
	}
	if u == nil || !u.checkPassword(secret) {
		c.s.logf(c.now, "core", "warning", "failed login for user "+id, id)
		return nil, unauthorized("invalid client credentials")
	}
	tok := c.s.mint(u, c.now)
	c.s.logf(c.now, "core", "info", "token issued for user "+u.Username, u.Username)
	return tokenResponse{AccessToken: tok, ExpiresIn: int(c.s.opts.TokenTTL / time.Second), TokenType: "Bearer"}, nil
}

// hDestroy revokes the token given as access_token, or failing that the
// bearer token of the request.
func hDestroy(c *call) (any, error) {
	tok := c.f.str("access_token", false)
	if err := c.f.done(); err != nil {
		return nil, err
	}
	if tok == "" {
		if scheme, t, ok := strings.Cut(c.r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(t)
		}
	}
	if tok == "" {
		return nil, badRequest("missing parameter: access_token")
	}
	t, ok := c.s.tokens[tok]
	if !ok {
		return nil, unauthorized("invalid token")
	}
	delete(c.s.tokens, tok)
	c.s.logf(c.now, "core", "info", "token destroyed for user "+t.username, t.username)
	return map[string]string{"message": "token destroyed"}, nil
}

func hVersion(c *call) (any, error) {
	return map[string]string{"version": c.s.version}, nil
}

type msgResult struct {
	Msg string `json:"msg"`
}

type msgKeyResult struct {
	Msg string `json:"msg"`
	Key int    `json:"key"`
}

type msgStatusResult struct {
	Msg        string `json:"msg"`
	StatusCode int    `json:"statuscode"`
}

func okStatus(msg string) msgStatusResult { return msgStatusResult{Msg: msg, StatusCode: 200} }

const (
	eulaEN = "END USER LICENSE AGREEMENT (simulation). This simulated Virtomize appliance is provided for testing " +
		"only. It manages no real hypervisor and keeps all data in memory."
	eulaDE = "ENDNUTZER-LIZENZVERTRAG (Simulation). Diese simulierte Virtomize-Appliance dient nur zu Testzwecken. " +
		"Sie verwaltet keinen echten Hypervisor und hält alle Daten im Arbeitsspeicher."
)

func hEula(c *call) (any, error) {
	return map[string]string{"eulade": eulaDE, "eulaen": eulaEN}, nil
}

func hEulaAccept(c *call) (any, error) {
	if c.st.EulaAccepted {
		return msgResult{"EULA already accepted"}, nil
	}
	c.st.EulaAccepted = true
	c.s.logf(c.now, "core", "info", "EULA accepted by "+c.user.Username, c.user.Username)
	return msgResult{"EULA accepted"}, nil
}

func hLicenseGet(c *call) (any, error) {
	if c.st.License == nil {
		return nil, notFound("no license installed")
	}
	return *c.st.License, nil
}

// licenseKey is the shape of licence strings the simulator accepts.
var licenseKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{15,}$`) })

// licenseVMs is the virtual machine contingent of every licence the
// simulator accepts.
const licenseVMs = 1000

func newLicense(key string, now time.Time) *license {
	sum := sha256.Sum256([]byte(key))
	return &license{
		License:         key,
		CustomerID:      "CUST-" + strings.ToUpper(hex.EncodeToString(sum[:4])),
		VirtualMachines: licenseVMs,
		Issued:          now.UnixNano(),
		Expires:         now.AddDate(1, 0, 0).UnixNano(),
	}
}

func hLicensePut(c *call) (any, error) {
	key := c.f.str("license", true)
	if key != "" && !licenseKey().MatchString(key) {
		c.f.fail("license", "not a valid license key")
	}
	if err := c.f.done(); err != nil {
		return nil, err
	}
	c.st.License = newLicense(key, c.now)
	c.s.logf(c.now, "core", "info", "license installed for customer "+c.st.License.CustomerID)
	return *c.st.License, nil
}

func hLicenseDelete(c *call) (any, error) {
	if c.st.License == nil {
		return nil, notFound("no license installed")
	}
	c.st.License = nil
	c.s.logf(c.now, "core", "info", "license removed")
	return msgResult{"license deleted"}, nil
}

// logLevels are the levels appliance log entries carry.
var logLevels = []string{"debug", "info", "warning", "error", "critical"}

// serviceLogLevels are the levels a service can be set to.
var serviceLogLevels = []string{"trace", "debug", "info", "warning", "error", "fatal", "panic"}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

type logView struct {
	Timestamp int64  `json:"timestamp"`
	Service   string `json:"service"`
	Level     string `json:"level"`
	Message   string `json:"message"`
}

func hLogs(c *call) (any, error) {
	f := c.f
	services, _ := f.strs("services", false)
	levels, _ := f.strs("levels", false)
	start, hasStart := f.int64("starttime", false)
	end, hasEnd := f.int64("endtime", false)
	pseudo, _ := f.bool("pseudonymization", false)
	for _, s := range services {
		if !contains(serviceNames, s) {
			f.fail("services", "unknown service (known: %s)", strings.Join(serviceNames, ", "))
			break
		}
	}
	for _, l := range levels {
		if !contains(logLevels, l) {
			f.fail("levels", "unknown level (known: %s)", strings.Join(logLevels, ", "))
			break
		}
	}
	if hasStart && hasEnd && end < start {
		f.fail("endtime", "before starttime")
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	out := []logView{}
	for _, e := range c.s.logs {
		if (len(services) > 0 && !contains(services, e.Service)) || (len(levels) > 0 && !contains(levels, e.Level)) ||
			(hasStart && e.Time < start) || (hasEnd && e.Time > end) {
			continue
		}
		msg := e.Message
		if pseudo {
			for _, s := range e.Subjects {
				if s != "" {
					sum := sha256.Sum256([]byte(s))
					msg = strings.ReplaceAll(msg, s, "pseudo-"+hex.EncodeToString(sum[:4]))
				}
			}
		}
		out = append(out, logView{Timestamp: e.Time, Service: e.Service, Level: e.Level, Message: msg})
	}
	return map[string]any{"logs": out}, nil
}

func hServiceSettingsGet(c *call) (any, error) {
	return c.st.Settings.serviceView(), nil
}

func hServiceSettingsPut(c *call) (any, error) {
	svc := c.f.str("service", true)
	lvl := c.f.str("loglevel", true)
	if svc != "" && !contains(serviceNames, svc) {
		c.f.fail("service", "unknown service (known: %s)", strings.Join(serviceNames, ", "))
	}
	if lvl != "" && !contains(serviceLogLevels, lvl) {
		c.f.fail("loglevel", "unknown level (known: %s)", strings.Join(serviceLogLevels, ", "))
	}
	if err := c.f.done(); err != nil {
		return nil, err
	}
	c.st.Settings.LogLevels[svc] = lvl
	c.s.logf(c.now, "core", "info", "log level of "+svc+" set to "+lvl)
	return map[string]string{"loglevel": lvl}, nil
}

func hSettingGet(c *call) (any, error) {
	return c.st.Settings.view(), nil
}

// parseDuration accepts a nanosecond count or a Go duration such as 40m.
func parseDuration(v string) (int64, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, n > 0
	}
	d, err := time.ParseDuration(v)
	return int64(d), err == nil && d > 0
}

func hSettingPut(c *call) (any, error) {
	f := c.f
	next := c.st.Settings
	next.LogLevels = map[string]string{}
	for k, v := range c.st.Settings.LogLevels {
		next.LogLevels[k] = v
	}
	if v, ok := f.optStr("regexfilter"); ok {
		if _, err := regexp.Compile(v); err != nil {
			f.fail("regexfilter", "not a valid regular expression")
		}
		next.RegexFilter = v
	}
	if v, ok := f.strs("ignorefilter", false); ok {
		next.IgnoreFilter = v
	}
	if v, ok := f.optStr("installtimeout"); ok {
		d, good := parseDuration(strings.TrimSpace(v))
		if !good {
			f.fail("installtimeout", "expected a positive nanosecond count or a duration such as 40m")
		}
		next.InstallTimeout = d
	}
	for _, svc := range serviceNames {
		name := "loglevel" + svc
		if v, ok := f.optStr(name); ok {
			if !contains(serviceLogLevels, v) {
				f.fail(name, "unknown level (known: %s)", strings.Join(serviceLogLevels, ", "))
			}
			next.LogLevels[svc] = v
		}
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	c.st.Settings = next
	c.s.logf(c.now, "core", "info", "settings updated")
	return next.view(), nil
}

func hSettingDelete(c *call) (any, error) {
	c.st.Settings = defaultSettings()
	c.s.logf(c.now, "core", "info", "settings reset to defaults")
	return msgResult{"settings reset to defaults"}, nil
}

func hNotificationGet(c *call) (any, error) {
	return c.st.Notification.view(), nil
}

func hNotificationPut(c *call) (any, error) {
	f := c.f
	next := c.st.Notification
	if v, ok := f.optStr("mailserver"); ok {
		next.Mailserver = v
	}
	if v, ok := f.int("mailport", false); ok {
		if v < 1 || v > 65535 {
			f.fail("mailport", "expected a port between 1 and 65535")
		}
		next.Mailport = v
	}
	if v, ok := f.optStr("username"); ok {
		next.Username = v
	}
	if v, ok := f.optStr("password"); ok {
		next.Password = v
	}
	if err := f.done(); err != nil {
		return nil, err
	}
	c.st.Notification = next
	c.s.logf(c.now, "notification", "info", "notification settings updated")
	return next.view(), nil
}

func hNotificationDelete(c *call) (any, error) {
	c.st.Notification = notificationSetting{}
	c.s.logf(c.now, "notification", "info", "notification settings removed")
	return msgResult{"notification settings deleted"}, nil
}

type updateView struct {
	CurrentVersion   string `json:"currentversion"`
	AvailableVersion string `json:"availableversion"`
	UpdateAvailable  bool   `json:"updateavailable"`
}

func hUpdateGet(c *call) (any, error) {
	return updateView{c.s.version, AvailableVersion, c.s.version != AvailableVersion}, nil
}

// hUpdateRun schedules the update when one is available; the simulated
// appliance applies it at once, so later calls report the new version.
func hUpdateRun(c *call) (any, error) {
	res := struct {
		updateView
		Scheduled bool `json:"scheduled"`
	}{updateView{c.s.version, AvailableVersion, c.s.version != AvailableVersion}, false}
	if res.UpdateAvailable {
		res.Scheduled = true
		c.s.logf(c.now, "core", "info", "update from "+c.s.version+" to "+AvailableVersion+" scheduled")
		c.s.version = AvailableVersion
	}
	return res, nil
}

func hPermissionGroups(c *call) (any, error) {
	return permissionGroups(), nil
}

func hOSList(c *call) (any, error) {
	return operatingSystems, nil
}

func hOSGet(c *call) (any, error) {
	o := findOS(c.key())
	if o == nil {
		return nil, notFound("operating system %d not found", c.key())
	}
	return *o, nil
}
