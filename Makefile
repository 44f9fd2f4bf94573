# The two commands of the README: `make run` starts the portal with demo data, `make test` runs every test.
.PHONY: install run prepare test test-fast bench

install:
	@bash deploy/local/install.sh

run: install
	@.venv/bin/python -m portal_stack run

prepare: install
	@.venv/bin/python -m portal_stack prepare

test:
	@bash deploy/local/install.sh --test
	@.venv/bin/python -m pytest

test-fast:
	@.venv/bin/python -m pytest -m "not browser"

bench: install
	@.venv/bin/python bench/run.py
	@.venv/bin/python bench/workforce_list.py
	@.venv/bin/python bench/scheduling_obligations.py
	@.venv/bin/python bench/identity_sessions.py
