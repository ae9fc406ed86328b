# The two set-up commands of the README: `make serve` and `make test`. Both build .venv on first use.
# Another Python gets a venv of its own:  make test PYTHON=python3.13 VENV=.venv-3.13
# (PYTHON may be a path, e.g. ~/.pyenv/versions/3.13.0/bin/python3.13). Extra pytest arguments:
# make test PYTEST_ARGS='-k "not postgresql"'.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: serve test venv bench check-python

venv: check-python $(VENV)/.installed

# When PYTHON is given, refuse a VENV built by another Python version (it would test the wrong one).
check-python:
ifneq ($(origin PYTHON),file)
	@want=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
	  || { echo "make: PYTHON=$(PYTHON) does not run" >&2; exit 1; }; \
	if [ -x $(PY) ]; then \
	  have=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  [ "$$have" = "$$want" ] || { echo "make: $(VENV) is Python $$have, PYTHON=$(PYTHON) is $$want: give VENV=.venv-$$want" >&2; exit 1; }; \
	fi
endif

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	echo '*' > $(VENV)/.gitignore  # any venv name stays out of git (Python 3.13 writes this itself)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Serve on the embedded SQLite default (instance/rewardgate.db), printing a demo account and key.
serve: venv
	$(PY) -m flask --app app init-db
	$(PY) -m flask --app app demo
	@echo "serving on http://127.0.0.1:8000/ (API) and http://127.0.0.1:8000/docs (call catalogue)"
	exec $(VENV)/bin/gunicorn -c gunicorn.conf.py app:app

# The whole suite, on SQLite and on PostgreSQL (skipped locally when no server answers; required in CI).
test: venv
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: venv
	$(PY) bench/run.py
