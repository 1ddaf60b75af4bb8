package cmd_test

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/infractl/infra/internal/sim/prasim"
)

// sites are the PRA simulators of one script: "main" (the Setup's) and those started with pra-site.
type sites struct {
	mu sync.Mutex
	by map[string]*prasim.Server
}

func (s *sites) get(ts *testscript.TestScript, name string) *prasim.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	sim, ok := s.by[name]
	if !ok {
		ts.Fatalf("no PRA site %q (start it with pra-site)", name)
	}
	return sim
}

func init() {
	extraSetup = append(extraSetup, func(env *testscript.Env) error {
		env.Values["sites"] = &sites{by: map[string]*prasim.Server{"main": env.Values["prasim"].(*prasim.Server)}}
		return nil
	})
	// pra-site NAME: start another PRA site with its own API account; sets NAME_URL, NAME_ID and NAME_SECRET.
	extraCmds["pra-site"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: pra-site NAME")
		}
		name := args[0]
		id, secret := name+"-client", name+"-s3cr3t-"+strconv.Itoa(len(name)*7919)
		sim := prasim.New(prasim.Options{ClientID: id, ClientSecret: secret, Seed: true})
		srv := httptest.NewServer(sim)
		ts.Defer(srv.Close)
		st := ts.Value("sites").(*sites)
		st.mu.Lock()
		st.by[name] = sim
		st.mu.Unlock()
		up := strings.ToUpper(name)
		ts.Setenv(up+"_URL", srv.URL)
		ts.Setenv(up+"_ID", id)
		ts.Setenv(up+"_SECRET", secret)
	}
	// credentials-clean: no site was ever presented another site's client id, secret or token.
	extraCmds["credentials-clean"] = func(ts *testscript.TestScript, neg bool, args []string) {
		st := ts.Value("sites").(*sites)
		st.mu.Lock()
		defer st.mu.Unlock()
		var bad []string
		total := 0
		for name, sim := range st.by {
			for _, c := range sim.Presented() {
				total++
				for other, o := range st.by {
					if other == name {
						continue
					}
					switch {
					case c.Kind == "client" && (c.ClientID == o.ClientID() || c.Secret == o.ClientSecret()):
						bad = append(bad, fmt.Sprintf("site %s was sent site %s's client credentials", name, other))
					case c.Kind == "bearer" && o.Issued(c.Token):
						bad = append(bad, fmt.Sprintf("site %s was sent a token of site %s", name, other))
					}
				}
			}
		}
		sort.Strings(bad)
		ts.Logf("%d credentials presented across %d sites", total, len(st.by))
		if (len(bad) == 0) == neg {
			ts.Fatalf("credentials crossed sites: %v", bad)
		}
	}
	// presented SITE N: the site was presented exactly N credentials (token requests and bearer tokens).
	extraCmds["presented"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: presented SITE N")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		if got := len(ts.Value("sites").(*sites).get(ts, args[0]).Presented()); (got == want) == neg {
			ts.Fatalf("site %s: %d credentials presented, want %d", args[0], got, want)
		}
	}
	// site-minted SITE N: the site minted exactly N tokens.
	extraCmds["site-minted"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: site-minted SITE N")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		if got := ts.Value("sites").(*sites).get(ts, args[0]).TokensMinted(); (got == want) == neg {
			ts.Fatalf("site %s: %d tokens minted, want %d", args[0], got, want)
		}
	}
}

func init() {
	// pra-unsupport SITE PARAM…: the site treats these documented query parameters as unknown (an older appliance).
	extraCmds["pra-unsupport"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: pra-unsupport SITE PARAM…")
		}
		ts.Value("sites").(*sites).get(ts, args[0]).Unsupport(args[1:]...)
	}
}
