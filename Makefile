# Pulse — the developer loop. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := tools/node_modules
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test chat package lint typecheck unit e2e bench train eval corpus icons image worker clean help

help:
	@echo "make run      - start Pulse (demo mode) and the Microsoft 365 Agents Playground"
	@echo "make test     - install test tools, run ruff, mypy and every test"
	@echo "make chat     - chat with Pulse in this terminal, through its real HTTP endpoint"
	@echo "make package  - build build/appPackage.zip (Teams app) from the settings"
	@echo "make bench    - print the benchmarks beside their baselines"
	@echo "make train    - retrain the sentiment model and the question classifier"
	@echo "make eval     - evaluate every model on held-out data, beside its baselines"
	@echo "make image    - build the container image (needs a Docker engine)"
	@echo "make worker   - run a worker process for slow jobs (production scale-out)"

$(VENV)/.runtime: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(TOOLS)/.installed: tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's chromium, for the end-to-end test through the Agents Playground.
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi

run: $(VENV)/.runtime $(TOOLS)/.installed
	$(PY) scripts/run_local.py

chat: $(VENV)/.runtime
	$(PY) scripts/chat.py

package: $(VENV)/.runtime
	$(PY) scripts/build_package.py

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

unit: $(VENV)/.dev $(TOOLS)/.installed
	$(VENV)/bin/pytest -m "not e2e"

e2e: $(VENV)/.dev $(TOOLS)/.installed /usr/bin/chromium
	$(VENV)/bin/pytest -m e2e

test: $(VENV)/.dev $(TOOLS)/.installed /usr/bin/chromium lint typecheck
	$(VENV)/bin/pytest

bench: $(VENV)/.dev $(TOOLS)/.installed
	$(PY) bench/run_all.py

train: $(VENV)/.dev
	$(PY) scripts/train_sentiment.py
	$(PY) scripts/train_intents.py

# Every scripts/eval_*.py: each prints its figures beside the published or previous ones.
eval: $(VENV)/.dev
	@set -e; for script in scripts/eval_*.py; do echo "=== $$script"; $(PY) $$script; done

corpus: $(VENV)/.runtime
	$(PY) scripts/make_demo_corpus.py

icons: $(VENV)/.dev
	$(PY) scripts/make_icons.py

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
image:
	docker build -t pulse:$(VERSION) .

worker: $(VENV)/.runtime
	$(PY) -m bot.worker

clean:
	rm -rf build var .pytest_cache .mypy_cache .ruff_cache
