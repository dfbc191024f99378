# The two commands of the README, and the checks. Each target installs what it needs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint typecheck check bench clean cluster-binaries node-packages dashboard browser shellcheck

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Run the platform (API + projections + reconciler + dashboard) on the embedded defaults.
up: $(STAMP) dashboard cluster-binaries
	$(BIN)/storeplane up $(ARGS)

## Kubernetes, etcd, kwok and helm (and the real node's kubelet, kube-proxy, CoreDNS) compiled from
## Go modules; cached outside the checkout.
cluster-binaries: $(STAMP)
	$(BIN)/python -m storeplane.localcluster.build
	$(BIN)/python -m storeplane.localcluster.nodebuild

## Debian packages for the local cluster's real node (containerd, runc, CNI plugins, mmdebstrap, ...).
node-packages:
	deploy/local-cluster/ensure-node-packages.sh

## The dashboard, built into web/dist, which the API serves at "/".
dashboard:
	web/scripts/build.sh

## Debian's chromium, for the dashboard's browser tests.
browser:
	scripts/ensure-debian-tool.sh chromium chromium "the dashboard's browser tests"

## Debian's shellcheck, for the chart tests' check of the charts' shell scripts.
shellcheck:
	scripts/ensure-debian-tool.sh shellcheck shellcheck "the chart tests"

## Install everything and run the whole test suite, then lint and type-check.
test: $(STAMP) cluster-binaries node-packages dashboard browser shellcheck
	web/scripts/test.sh
	$(BIN)/pytest $(PYTEST_ARGS)
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Every benchmark; each prints its numbers beside a baseline of the same run (see bench/RESULTS.md).
BENCHMARKS := core_events audit_throughput api_create_latency api_query_throughput api_push_latency reconciler_throughput
bench: $(STAMP) cluster-binaries dashboard
	for b in $(BENCHMARKS); do $(BIN)/python -m bench.$$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
