# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench crds clean fuzz mutate mutate-changed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf out/petstore
	$(BIN)/kodegen generate examples/petstore.yaml --out out/petstore

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q --ignore=tests/cluster

lint: $(STAMP)
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	# every {{ }} of a builtin template ends in a context filter (issue 9: escaping)
	$(BIN)/python -m kodegen.templates.escaping templates

# The last step: kodegen vs fastapi-code-generator (pinned in benchmarks/requirements-peer.txt, its
# own .venv-bench) on the corpus's OpenAPI specs; one line and nothing else without ../shared.
# VERSUS_ARGS: e.g. `--only lakefs --jobs 1 --timeout 60 --kinds openapi swagger2`.
VERSUS_ARGS ?= --jobs 2
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/operator_bench.py
	$(BIN)/python benchmarks/ai_bench.py
	nice -n 10 $(BIN)/python benchmarks/versus.py $(VERSUS_ARGS)

# Mutation testing (benchmarks/mutation.py, mutmut): `mutate` runs every module, `mutate-changed`
# the modules changed since the merge base with main.
mutate: $(STAMP)
	nice -n 10 $(BIN)/python benchmarks/mutation.py run

mutate-changed: $(STAMP)
	nice -n 10 $(BIN)/python benchmarks/mutation.py run --changed

crds: $(STAMP)
	$(BIN)/kodegen crds --out crds
	# the Helm chart ships the same CRDs (tests/chart/test_chart.py checks both copies)
	$(BIN)/kodegen crds --out charts/kodegen/crds

# Fuzz manifests and every spec type through `kodegen validate`: 10,000 random cases over two
# processes, then the counts (accepted, rejected cleanly, crashes, hangs) and the peak RSS of a
# process. FUZZ_CASES=N, FUZZ_SHARDS=N to change.
FUZZ_CASES ?= 10000
FUZZ_SHARDS ?= 2
fuzz: $(STAMP)
	rm -f .fuzz-report.jsonl
	KODEGEN_FUZZ_CASES=$(FUZZ_CASES) KODEGEN_FUZZ_SHARDS=$(FUZZ_SHARDS) \
	KODEGEN_FUZZ_REPORT=.fuzz-report.jsonl nice -n 10 $(BIN)/python -m pytest \
		-n $(FUZZ_SHARDS) -q -s -p no:cacheprovider --timeout=0 \
		tests/security/test_fuzz.py::test_no_case_crashes_or_hangs; \
	status=$$?; KODEGEN_FUZZ_REPORT=.fuzz-report.jsonl $(BIN)/python -m tests.security.test_fuzz; \
	rm -f .fuzz-report.jsonl; exit $$status

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

# The real control plane (etcd, kube-apiserver, kube-controller-manager built from Go modules into
# ~/.cache/kodegen/k8s-<version>-<hash>/; the first build takes tens of minutes, later ones none)
# and the test tier that starts it per session (tests/cluster/, skipped until it is built).
.PHONY: cluster-tools test-cluster soak bench-real
cluster-tools:
	bash tools/k8s/build.sh

test-cluster: $(STAMP) cluster-tools
	$(BIN)/python -m pytest tests/cluster -n 0 -q

# The kill soak at its full count (tests/cluster/test_cluster_soak.py; test-cluster runs 9 kills):
# the operator SIGKILLed at each checkpoint of a run, restarted, and the cluster checked for
# duplicated Jobs, lost outputs and lost Events. 15-25 s per kill on 2 cores.
SOAK_KILLS ?= 100
soak: $(STAMP) cluster-tools
	KODEGEN_SOAK_KILLS=$(SOAK_KILLS) $(BIN)/python -m pytest \
		tests/cluster/test_cluster_soak.py -n 0 -q -s -p no:cacheprovider --timeout=0

# benchmarks/operator_bench.py's admission rate, no-op reconcile and RSS against the real
# kube-apiserver of tests/cluster/controlplane.py instead of kmock (a few minutes).
bench-real: $(STAMP) cluster-tools
	$(BIN)/python benchmarks/operator_bench_real.py

# The real public specs in ../shared/specs/corpus/ through kodegen with every gate, one table
# (benchmarks/corpus.py). CORPUS_ARGS: e.g. `--only graphql --jobs 1 --twice -o json`.
.PHONY: corpus
CORPUS_ARGS ?= --jobs 2
corpus: $(STAMP)
	nice -n 10 $(BIN)/python benchmarks/corpus.py $(CORPUS_ARGS)
