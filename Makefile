# AcuClinic's front door: `make run` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := acuclinic.settings

.PHONY: run test lint test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

## run: install, migrate the embedded SQLite database, load demo data, serve on 127.0.0.1:8000
##      with the worker that sends messages and send_reminders every 5 minutes beside it
run: $(VENV)/.installed .env
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 scripts/dev-server $(BIN)/python

# A development checkout: manage.py commands run with DEBUG on. Never in production.
.env:
	printf '# Development settings for this checkout (see docs/deployment.md, Configuration).\nDJANGO_DEBUG=1\n# The demo clinic is in San Francisco.\nDJANGO_TIME_ZONE=America/Los_Angeles\n# Print text messages to patients in the console too:\n# SMS_BACKEND=console\n' > .env
	@echo "Created .env with DJANGO_DEBUG=1 for development."

## test: lint, check migrations, run the suite on SQLite and on a throwaway PostgreSQL
test: lint test-sqlite test-postgres

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r acuclinic core audit accounts intake messaging scheduling checkins sessions plans progress interop clinic
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: $(VENV)/.installed-dev
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: $(VENV)/.installed-dev
	scripts/with-postgres $(BIN)/pytest

## bench: the page benchmark (bench/README.md): a throwaway PostgreSQL with seed_load's data
##        (PATIENTS=5000), gunicorn as in production, every key page under wrk beside a bare
##        view; prints a Markdown table. On demand, not in `make test`. Needs wrk.
PATIENTS ?= 5000
bench: $(VENV)/.installed
	$(BIN)/python bench/pages.py --patients $(PATIENTS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-artifacts *.egg-info
