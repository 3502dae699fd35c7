# TeamsPro Functions. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go

.PHONY: help build run test bench package teams-package lint fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## build the front end (web/dist) and the handler into bin/handler
	@bash scripts/web.sh
	$(GO) build -trimpath -o bin/handler ./handler

run: ## run locally: Azurite + the handler on :7071 with dev sign-in
	@bash scripts/run.sh

test: ## run every test against a real Azurite (started and stopped here)
	@bash scripts/test.sh

bench: build ## print the benchmark figures and their ratios to targets
	@bash scripts/bench.sh

package: ## build dist/teamspro-functions.zip for deployment
	@bash scripts/package.sh

teams-package: ## build the Teams app packages (dist/teams-app-calendar-pro.zip, dist/teams-app-booking-room-pro.zip)
	@bash scripts/teams-package.sh

lint: ## gofmt, go vet and the OpenAPI document through Redocly's linter (0 errors, 0 warnings)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@bash scripts/lint-openapi.sh

fuzz: ## run every fuzz target for FUZZTIME each (default 30s; a count such as 100000x also works)
	@bash scripts/fuzz.sh $${FUZZTIME:-30s}

clean: ## remove build output and local data
	rm -rf bin dist .data
