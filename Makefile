# The two set-up commands of the README: `make serve` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: serve test venv bench

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
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
	$(PY) -m pytest -q

bench: venv
	$(PY) bench/run.py
