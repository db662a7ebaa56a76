# cadre_exit — two commands do everything on a fresh Debian machine with Python 3.11:
#   make run    install, migrate, load the catalog and demo data, run web + worker + beat
#   make test   install, then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# Debian packages: WeasyPrint's Pango, gettext for the catalogs, Chromium for browser tests,
# Node.js for the API contract's tools (tests/contract: Redocly, openapi-typescript, tsc)
# and the accessibility checks (tests/a11y: axe-core, vnu.jar, with a Java runtime),
# SoftHSM2 for the signing keys (docs/signing.md).
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext chromium fonts-dejavu-core postgresql-client nodejs softhsm2 openjdk-17-jre-headless

.PHONY: install system-deps a11y-deps run test contract-tools lint check bench clean

install: $(STAMP)

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	case "$$missing" in *postgresql-client*) command -v pg_dump >/dev/null && missing="$${missing/ postgresql-client/}";; esac; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml | system-deps
	$(MAKE) system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# axe-core and the Nu HTML checker (vnu-jar) for the interface journeys, from npm.
a11y-deps: tests/a11y/node_modules/.installed

tests/a11y/node_modules/.installed: tests/a11y/package.json tests/a11y/package-lock.json | system-deps
	@command -v npm >/dev/null || { SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	cd tests/a11y && npm ci --no-audit --no-fund
	touch $@

run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv
	$(BIN)/python manage.py load_catalog
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py signing_keys init
	@echo "cadre_exit: http://127.0.0.1:$(PORT)/  (demo password: $${DEMO_PASSWORD:-cadre-demo})"
	@# Each server runs in a session of its own (setsid), so Ctrl-C reaches this shell only;
	@# the trap then stops each of them once (one shutdown line each) and waits for them.
	@pids=""; \
	stop() { trap - EXIT INT TERM; echo "cadre_exit: stopping"; \
		[ -n "$$pids" ] && kill -TERM $$pids 2>/dev/null; wait $$pids 2>/dev/null; exit 0; }; \
	trap stop EXIT INT TERM; \
	setsid $(BIN)/celery -A cadre_exit worker --loglevel=INFO --pool=solo & pids="$$pids $$!"; \
	setsid $(BIN)/celery -A cadre_exit beat --loglevel=INFO & pids="$$pids $$!"; \
	setsid $(BIN)/python manage.py runserver 127.0.0.1:$(PORT) --noreload & pids="$$pids $$!"; \
	wait

test: install contract-tools a11y-deps
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv
	$(BIN)/python manage.py check
	$(BIN)/python manage.py signing_keys token
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy
	$(BIN)/pytest

# The Node.js tools of the API contract tests, from the committed lock file.
contract-tools:
	@test -x tests/contract/node_modules/.bin/tsc || npm ci --prefix tests/contract --no-audit --no-fund

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

# The benchmarks need PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/cadre_bench)
# and wrk from Debian for the HTTP figures. Pass options with BENCH_ARGS="--quick".
bench: install
	@dpkg -s wrk >/dev/null 2>&1 || { \
		echo "Installing Debian package: wrk"; \
		SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; \
	}
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
