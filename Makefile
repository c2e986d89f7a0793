# `make run` and `make test` do all set-up on a fresh machine: they create .venv when it is
# missing and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# `make run PORT=9000`, or TACTFUL_PORT / TACTFUL_HOST from the environment
HOST   ?= $(or $(TACTFUL_HOST),127.0.0.1)
PORT   ?= $(or $(TACTFUL_PORT),8000)

.PHONY: run test bench fuzz browser screenshots clean

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
test: $(VENV)/.dev-installed browser
	$(BIN)/python -m pytest
	$(BIN)/tactful eval run --quiet --no-progress --baseline eval/baseline.json
	$(BIN)/tactful eval run --quiet --no-progress --model mock --baseline eval/baseline-mock.json

# Debian's chromium and chromedriver for the browser tests (tests/test_ui_e2e.py). Installed
# when missing and we may (root with apt); otherwise those tests skip and say why
# (TACTFUL_REQUIRE_BROWSER=1 makes a missing browser fail them instead).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium chromium-driver fonts-wqy-microhei >/dev/null) \
	      || echo "warning: apt-get could not install chromium: the browser tests will be skipped"; \
	  else echo "note: no /usr/bin/chromium and no root apt-get: the browser tests will be skipped"; fi; \
	fi

# the README's screenshots, retaken by the browser tests
screenshots: $(VENV)/.dev-installed browser
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_ui_e2e.py

# schemathesis with a fresh seed and more examples than CI's fixed-seed run
fuzz: $(VENV)/.dev-installed
	FUZZ_SEED=$$(date +%s) FUZZ_EXAMPLES=200 $(BIN)/python -m pytest -q tests/test_api_fuzz.py

bench: $(VENV)/.run-installed
	$(BIN)/python bench/review_bench.py

clean:
	rm -rf $(VENV) .pytest_cache
