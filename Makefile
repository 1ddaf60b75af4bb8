# infra — build, test and release tasks. `make help` lists them.
SHELL        := /bin/bash
GO           ?= go
BIN          := bin/infra
PKG          := github.com/infractl/infra
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT       ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE         ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS      := -s -w -X $(PKG)/cmd.version=$(VERSION) -X $(PKG)/cmd.commit=$(COMMIT) -X $(PKG)/cmd.date=$(DATE)
STATICCHECK_VERSION := v0.8.2
TOOLS        := $(CURDIR)/bin/tools
FUZZTIME     ?= 30s

.PHONY: help build install test unit race-scripts lint vet staticcheck fmt-check keyring-test generated-check docs completions generate bench bench-go pgo proof demo fuzz pra-catalog pra-sim-spec clean

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## build bin/infra
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

PREFIX       ?= /usr/local
DESTDIR      ?=

install: build ## install bin/infra, its man pages and completions under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/infra
	install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 completions/infra.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/infra
	install -m 0644 completions/infra.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_infra
	install -m 0644 completions/infra.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/infra.fish

test: lint unit keyring-test generated-check ## everything CI runs: lint, race tests, real-keyring tests, generated files
	@echo "make test: all checks passed"

# -parallel 8: the command scripts spend much of their time waiting on simulators that pace requests as the vendors
# document (20 per second for PRA); more of them in flight keeps both cores busy.
unit: ## go test -race ./... (fuzz targets run their seed corpus; the scripts exec a normally built bin, see race-scripts)
	$(GO) test -race -count=1 -parallel 8 -timeout 15m ./...

race-scripts: ## the command scripts with the race-enabled test binary as infra (slower; not part of make test)
	INFRA_TEST_SCRIPTS_RACE=1 $(GO) test -race -count=1 -parallel 8 -timeout 30m -run 'TestScripts|TestReadme' ./cmd

lint: fmt-check vet staticcheck ## gofmt, go vet, staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(TOOLS)/staticcheck
	$(TOOLS)/staticcheck ./...

# Runs the credential store tests against a real Secret Service (gnome-keyring in a private D-Bus session). Run as
# root without CAP_SYS_RESOURCE (containers), dbus-daemon warns that it cannot raise its file limit; that harmless line
# is filtered out, everything else it prints is kept.
keyring-test: ## real OS keyring tests (needs dbus, gnome-keyring; skipped with a note when absent)
	@if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then \
		kr=$$(mktemp -d); mkdir -p -m 700 $$kr/run; \
		XDG_DATA_HOME=$$kr/data XDG_RUNTIME_DIR=$$kr/run dbus-run-session -- sh -c ' \
			echo infra-test | gnome-keyring-daemon --unlock --replace --components=secrets >/dev/null 2>&1; \
			INFRA_TEST_REAL_KEYRING=1 $(GO) test -count=1 -run "Real" ./pkg/config/secrets/ ./cmd/' \
			2> >(grep --line-buffered -v 'Failed to set fd limit' >&2); rc=$$?; rm -rf $$kr; exit $$rc; \
	else echo "keyring-test: dbus-run-session or gnome-keyring-daemon not installed; skipped (apt-get install dbus gnome-keyring libsecret-tools)"; fi

docs: ## regenerate docs/cli (markdown) and docs/man (man pages)
	$(GO) run ./internal/gendocs -docs docs

completions: ## regenerate completions/ for bash, zsh, fish, powershell
	$(GO) run ./internal/gendocs -completions completions

generate: docs completions ## all generated files

generated-check: ## fail when docs or completions are stale
	@tmp=$$(mktemp -d); $(GO) run ./internal/gendocs -docs $$tmp/docs -completions $$tmp/completions; \
	ok=1; diff -r $$tmp/docs/cli docs/cli >/dev/null || ok=0; diff -r $$tmp/docs/man docs/man >/dev/null || ok=0; \
	diff -r $$tmp/completions completions >/dev/null || ok=0; rm -rf $$tmp; \
	if [ $$ok = 0 ]; then echo "docs or completions are stale: run make generate and commit"; exit 1; fi; echo "generated files up to date"

bench: build ## end-to-end figures beside their floors (BENCH_JSON=1 for JSON; BENCH_MD=docs/benchmarks.md to record)
	$(GO) run ./internal/bench -infra $(BIN) $(if $(BENCH_MD),-markdown $(BENCH_MD))

pgo: ## regenerate default.pgo, the CPU profile (report conversion) the build of bin/infra is optimised with
	$(GO) test -run '^$$' -bench 'BenchmarkConvertReport/.*/rows' -benchtime 40x -cpuprofile default.pgo -o $${TMPDIR:-/tmp}/pra-pgo.test ./pkg/api/pra

bench-go: ## Go micro-benchmarks (go test -bench)
	$(GO) test -run '^$$' -bench . -benchmem ./...

proof: ## bulk exactly-once proof at full size (1,000 PRA items, 200 VMs under faults), then 20 CI-sized runs
	PROOF_PRA=1000 PROOF_VMS=200 $(GO) test -count=1 -timeout 30m -run 'TestScripts/^bulk_proof$$' ./cmd
	$(GO) test -count=20 -timeout 30m -run 'TestScripts/^bulk_(proof|resume)$$' ./cmd

demo: build ## build, start the sandbox and run a short tour on it (DEMO_SITE=1: read-only part on the configured PRA site)
	@./scripts/demo.sh $(if $(filter 1,$(DEMO_SITE)),--site) $(BIN)

fuzz: ## longer fuzzing of the key=value parser and flattener, of the PRA XML scanner against encoding/xml and of JSON quoting against encoding/json (FUZZTIME=30s)
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./pkg/kv/
	$(GO) test -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) ./pkg/kv/
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime $(FUZZTIME) ./pkg/api/pra/
	$(GO) test -run '^$$' -fuzz '^FuzzAppendString$$' -fuzztime $(FUZZTIME) ./pkg/jsonq/

# The PRA generators are not part of `make test`: they need BeyondTrust's OpenAPI document, which CI does not have.
PRA_SPEC ?= ../shared/api/pra-config-openapi-1.10.yaml

pra-catalog: ## regenerate pkg/catalog/pra/zz_generated.go from BeyondTrust's OpenAPI document (PRA_SPEC=path)
	$(GO) run ./internal/pragen -spec "$(PRA_SPEC)" -out pkg/catalog/pra/zz_generated.go

pra-sim-spec: ## regenerate the PRA simulator's embedded API document (PRA_SPEC=path/to/pra-config-openapi-1.10.yaml)
	$(GO) run ./internal/sim/prasim/internal/specgen -in "$(PRA_SPEC)" -out internal/sim/prasim/spec/config-api.json.gz

clean:
	rm -rf bin dist
