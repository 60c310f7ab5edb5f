# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# With DATABASE_URL unset, an embedded PostgreSQL (pgserver) runs with its data under .data/.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export PUBLIC_PORT ?= $(PORT)

.PHONY: run test screenshots lint format bench messages makemessages migrate seed stop-db install

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

messages: install
	$(PY) manage.py compilemessages --ignore=$(VENV) --ignore=.data -v 0

makemessages: install
	$(PY) manage.py makemessages --ignore=$(VENV) --ignore=.data -l fr -l de -l lb

migrate: messages
	$(PY) manage.py migrate_schemas --noinput -v 0

seed: migrate
	$(PY) manage.py seed_demo

# Without Apple credentials (no APPLE_PASS_TYPE_ID in the environment or in .env), passes are signed
# with a development chain written to $(APPLE_DEV_DIR): the card page's "Add to Apple Wallet"
# downloads a real .pkpass to inspect, which no iPhone opens (only Apple-issued certificates are
# accepted). The APPLE_* variables are exported for seed_demo and runserver only, never for tests.
APPLE_DEV_DIR ?= .data/apple-dev
run: migrate
	@if [ -z "$$APPLE_PASS_TYPE_ID" ] && \
	    ! grep -qsE '^[[:space:]]*(export[[:space:]]+)?APPLE_PASS_TYPE_ID=[^[:space:]]' .env; then \
	  apple=$$($(PY) manage.py make_dev_wallet_certs --dir $(APPLE_DEV_DIR) --shell) || exit 1; \
	  eval "$$apple"; \
	fi; \
	$(PY) manage.py seed_demo && exec $(PY) manage.py runserver $(HOST):$(PORT)

# The embedded server is left running by `make run` (`make stop-db` stops it); `make test` stops it
# again when it was the one that started it.
STOP_EMBEDDED_PG_AFTER = if [ -z "$$DATABASE_URL" ] && ! $(PY) -m loyalty_saas.embedded_pg status >/dev/null; then \
	  trap '$(PY) -m loyalty_saas.embedded_pg stop' EXIT; fi
# The suite runs in TEST_WORKERS processes (pytest-xdist), each with its own test database.
TEST_WORKERS ?= 2
test: install
	@$(STOP_EMBEDDED_PG_AFTER); \
	$(PY) manage.py compilemessages --ignore=$(VENV) --ignore=.data -v 0 && \
	$(PY) -m pytest -n $(TEST_WORKERS)

# The README's pictures: the browser test of the join → stamp → card flow, saving phone and tablet
# views of the terminal and the card page, the card page with both wallet buttons, and the back
# office's dashboard after a new merchant's walk from sign-up to a first stamp.
screenshots: install
	@$(STOP_EMBEDDED_PG_AFTER); \
	$(PY) manage.py compilemessages --ignore=$(VENV) --ignore=.data -v 0 && \
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/browser/test_flows.py -k joins -q && \
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/browser/test_card_wallet.py \
	  -k both_wallet_buttons -q && \
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/browser/test_counter.py -k six_taps -q && \
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/browser/test_onboarding.py -q && \
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/browser/test_card_live.py -k "counter or audit" -q

# Style, and the import contract in pyproject.toml (imports run one way: common ← … ← interfaces).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: migrate
	$(PY) bench/tenant_create.py

stop-db: install
	$(PY) -m loyalty_saas.embedded_pg stop
