# Lianxin — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 0.02
export DJANGO_SETTINGS_MODULE := lianxin.settings
# The demo, the tests and the benchmarks make their missing keys into var/ (lianxin/core/keys.py);
# a production service sets its keys and never this.
export LIANXIN_DEV_KEYS ?= 1

.PHONY: run test lint bench install system-deps serve migrate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's chromium; PDFs and pages need a CJK font. Installed when root.
system-deps:
	@if [ "$$(id -u)" = "0" ] && ! dpkg -s chromium fonts-wqy-microhei >/dev/null 2>&1; then \
	  echo "installing chromium and fonts-wqy-microhei"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

migrate: $(STAMP)
	$(PY) manage.py migrate --no-input -v 0

run: system-deps migrate
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py demo --scale $(SCALE)
	@echo "连心 is at http://$(HOST):$(PORT)/ with its job worker  (Ctrl-C stops both)"
	LIANXIN_DEMO_ACCOUNTS=1 $(PY) manage.py serve $(HOST):$(PORT)

test: $(STAMP) system-deps
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check lianxin tests bench
	$(VENV)/bin/ruff format --check lianxin tests bench
	$(VENV)/bin/mypy lianxin
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

bench: migrate
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var build *.egg-info
