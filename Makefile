# Fieldhub build, run and test targets. See README.md.
GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
# Packages with concurrency run under the race detector in `make test`.
RACE_PKGS := ./internal/tsdb/... ./internal/vfs/... ./internal/httpapi/... ./internal/query/... ./internal/cq/...
FUZZTIME  ?= 30s

.PHONY: build run test test-race bench fuzz lint clean difftest

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/fieldhub ./cmd/fieldhub
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/fieldsim ./cmd/fieldsim

# Builds and starts the hub with the embedded defaults: data in ./data, HTTP on :8086, a demo database.
run: build
	$(BIN)/fieldhub serve --data-dir ./data --demo

# All tests: vet, unit/integration tests, and the concurrent packages again under -race.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 10m ./...
	$(GO) test -count=1 -race -timeout 10m $(RACE_PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Runs every fuzz target for FUZZTIME each (default 30s): make fuzz FUZZTIME=2m
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# Fieldhub against a real InfluxDB 1.8 on generated data and queries (needs ../shared/bench/peers.sh
# or INFLUX_URL); not part of `make test`. N=1000 SEED=42 make difftest
difftest:
	./scripts/difftest.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

clean:
	rm -rf $(BIN)
