# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint format bench clean browser-deps

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(VENV)/bin/jietiao up $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint browser-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The gateway's browser test drives Debian's Chromium (never a downloaded browser), with a CJK font.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium fonts-wqy-zenhei; \
	  else echo "the browser test needs: sudo apt-get install chromium fonts-wqy-zenhei"; exit 1; fi; \
	fi

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
