# `make run` and `make test` do all set-up on a fresh machine: they create .venv when it is
# missing and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/tactful serve --host $(HOST) --port $(PORT)

# The tests, then the eval gate: the offline drafter and the litellm path (replaying recorded
# answers, no network) against their committed baselines; a regression fails the build.
test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest
	$(BIN)/tactful eval run --quiet --no-progress --baseline eval/baseline.json
	$(BIN)/tactful eval run --quiet --no-progress --model mock --baseline eval/baseline-mock.json

# schemathesis with a fresh seed and more examples than CI's fixed-seed run
fuzz: $(VENV)/.dev-installed
	FUZZ_SEED=$$(date +%s) FUZZ_EXAMPLES=200 $(BIN)/python -m pytest -q tests/test_api_fuzz.py

bench: $(VENV)/.run-installed
	$(BIN)/python bench/review_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
