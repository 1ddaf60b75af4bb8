package cmd_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/infractl/infra/internal/sim/jotelulusim"
)

func init() {
	// A second simulator whose token sees two organizations, both named "Acme".
	extraSetup = append(extraSetup, func(env *testscript.Env) error {
		sim := jotelulusim.New(jotelulusim.Options{Token: env.Getenv("INFRA_JOTELULU_TOKEN"), Seed: true, SecondOrg: true})
		srv := httptest.NewServer(sim)
		env.Defer(srv.Close)
		env.Setenv("JOTELULU_MULTI_URL", srv.URL)
		env.Setenv("JOTELULU_TOKEN", env.Getenv("INFRA_JOTELULU_TOKEN"))
		return nil
	})
	// jotelulu-fail OPID: the asynchronous work the next OPID call starts ends in error/failed.
	extraCmds["jotelulu-fail"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: jotelulu-fail OPERATION_ID")
		}
		ts.Value("jotelulusim").(*jotelulusim.Server).FailNext(args[0])
	}
	// jotelulu-move OPID METHOD PATH: the simulator serves the operation at another method and path.
	extraCmds["jotelulu-move"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: jotelulu-move OPERATION_ID METHOD PATH")
		}
		ts.Check(ts.Value("jotelulusim").(*jotelulusim.Server).Move(args[0], args[1]+" "+args[2]))
	}
	// jotelulu-calls OPID N: the simulator routed exactly N requests to the operation.
	extraCmds["jotelulu-calls"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: jotelulu-calls OPERATION_ID N")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		got := ts.Value("jotelulusim").(*jotelulusim.Server).Calls(args[0])
		if (got == want) == neg {
			ts.Fatalf("%s calls: got %d, want %s%d", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	}
	// jotelulu-token VAR DURATION: set VAR to an unsigned JWT that expires DURATION from now (negative: expired).
	extraCmds["jotelulu-token"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: jotelulu-token VAR DURATION")
		}
		d, err := time.ParseDuration(strings.TrimSpace(args[1]))
		ts.Check(err)
		ts.Setenv(args[0], jotelulusim.MakeToken("script", time.Now().Add(d)))
	}
}
