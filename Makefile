# The two commands of the README, and the checks. Each target installs what it needs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint typecheck check bench clean cluster-binaries node-packages dashboard browser shellcheck \
	cluster-images node-setup prepare-tests

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

## The real node's images (stand-ins from Debian packages, and our own from their Dockerfiles),
## built and cached before the tests, as root only: without root there is no real node.
cluster-images: $(STAMP)
	@if [ "$$(id -u)" -eq 0 ]; then $(BIN)/storeplane cluster images; \
	else echo "cluster-images: not root, so no real node and no images for it"; fi

## The Debian packages the tests need, then the node's images: one apt run after another, since apt
## holds one lock, and the images need the node's packages (mmdebstrap, buildah).
node-setup:
	for t in node-packages browser shellcheck cluster-images; do $(MAKE) --no-print-directory $$t || exit 1; done

## What the tests need, three jobs at once. The Go builds are CPU-bound; apt, npm and the images'
## downloads wait on the network and the disk, so on a fresh machine they no longer wait for the
## compiler. (storeplane's image needs the cluster's helm: `build.ensure_built` waits for it.)
prepare-tests: $(STAMP)
	$(MAKE) --no-print-directory -j3 cluster-binaries node-setup dashboard

## Install everything and run the whole test suite, then lint and type-check.
test: prepare-tests
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
