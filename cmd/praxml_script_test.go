package cmd_test

import (
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/infractl/infra/internal/sim/prasim"
	"github.com/infractl/infra/internal/sim/praxmlsim"
)

// The PRA XML APIs (command, reporting, backup, client scripting) are mounted on every script's PRA simulator.
func init() {
	extraSetup = append(extraSetup, func(env *testscript.Env) error {
		sim := env.Values["prasim"].(*prasim.Server)
		h := praxmlsim.New(praxmlsim.Options{Seed: true})
		h.MountOn(sim)
		env.Values["praxmlsim"] = h
		return nil
	})
	// praxml requests N [API]: exactly N requests reached the XML APIs (or one of them).
	// praxml mark / praxml unchanged: no request reached the XML APIs since the mark.
	// praxml ns STYLE: answer in namespace style default, prefixed, none or foreign.
	// praxml backup-size N: the next backups have N bytes.
	// praxml health-fail MSG: check_health reports a failure.
	// praxml html: every answer is an HTML page (XML API disabled).
	// praxml truncate: file answers stop halfway through.
	// praxml role ROLE: the failover role is ROLE.
	// praxml shortcuts N: N Jump shortcuts were imported.
	// praxml attr LSID CODE VALUE: the active session has custom attribute CODE=VALUE ("-" for none).
	extraCmds["praxml"] = func(ts *testscript.TestScript, neg bool, args []string) {
		h := ts.Value("praxmlsim").(*praxmlsim.Handler)
		if len(args) == 0 {
			ts.Fatalf("usage: praxml requests|ns|backup-size|truncate|role|shortcuts|attr …")
		}
		check := func(ok bool, format string, a ...any) {
			if ok == neg {
				ts.Fatalf(format, a...)
			}
		}
		switch args[0] {
		case "requests":
			want, err := strconv.Atoi(args[1])
			ts.Check(err)
			got := h.Requests()
			if len(args) > 2 {
				got = h.RequestsTo(args[2])
			}
			check(got == want, "XML API requests: got %d, want %d", got, want)
		case "mark":
			ts.Setenv("PRAXML_MARK", strconv.Itoa(h.Requests()))
		case "unchanged":
			mark, err := strconv.Atoi(ts.Getenv("PRAXML_MARK"))
			ts.Check(err)
			check(h.Requests() == mark, "XML API requests since the mark: %d, want none", h.Requests()-mark)
		case "ns":
			ts.Check(h.SetNamespaceStyle(args[1]))
		case "backup-size":
			n, err := strconv.ParseInt(args[1], 10, 64)
			ts.Check(err)
			h.SetBackupSize(n)
		case "health-fail":
			h.SetHealthError(args[1])
		case "html":
			h.SetHTML(true)
		case "truncate":
			h.SetTruncate(true)
		case "role":
			check(h.FailoverRole() == args[1], "failover role: got %s, want %s", h.FailoverRole(), args[1])
		case "shortcuts":
			want, _ := strconv.Atoi(args[1])
			got := len(h.Shortcuts())
			check(got == want, "shortcuts imported: got %d, want %d", got, want)
		case "attr":
			attrs, ok := h.ActiveSession(args[1])
			if !ok {
				ts.Fatalf("session %s is not active", args[1])
			}
			v, has := attrs[args[2]]
			if args[3] == "-" {
				check(!has, "attribute %s: got %q, want none", args[2], v)
			} else {
				check(has && v == args[3], "attribute %s: got %q (set %v), want %q", args[2], v, has, args[3])
			}
		default:
			ts.Fatalf("unknown praxml command %q", args[0])
		}
	}
}
