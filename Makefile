# The two commands of the README: `make run` starts the portal with demo data, `make test` runs every test.
.PHONY: install run prepare test test-fast lint bench

install:
	@bash deploy/local/install.sh

run: install
	@.venv/bin/python -m portal_stack run

prepare: install
	@.venv/bin/python -m portal_stack prepare

test:
	@bash deploy/local/install.sh --test
	@$(MAKE) --no-print-directory lint
	@.venv/bin/python -m pytest

# ruff (lint and format) on the whole repository; mypy strict on the shared library and every pure-rule module.
lint:
	@.venv/bin/ruff check --quiet .
	@.venv/bin/ruff format --check --quiet .
	@.venv/bin/mypy libs/portal_common/portal_common $$(git ls-files 'services/*/rules.py' 'services/*/rules/*.py')

test-fast:
	@.venv/bin/python -m pytest -m "not browser"

bench: install
	@.venv/bin/python bench/run.py
	@.venv/bin/python bench/workforce_list.py
	@.venv/bin/python bench/scheduling_obligations.py
	@.venv/bin/python bench/identity_sessions.py
	@.venv/bin/python bench/home_page.py
	@.venv/bin/python bench/january_morning.py --steps 25,50 --seconds 20
