# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench crds clean mutate mutate-changed

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
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/operator_bench.py
	$(BIN)/python benchmarks/ai_bench.py

# Mutation testing (benchmarks/mutation.py, mutmut): `mutate` runs every module, `mutate-changed`
# the modules changed since the merge base with main.
mutate: $(STAMP)
	nice -n 10 $(BIN)/python benchmarks/mutation.py run

mutate-changed: $(STAMP)
	nice -n 10 $(BIN)/python benchmarks/mutation.py run --changed

crds: $(STAMP)
	$(BIN)/kodegen crds --out crds

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
