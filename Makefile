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
# Node/npm and a Java runtime for the accessibility and HTML checks (axe-core, vnu.jar).
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext chromium fonts-dejavu-core postgresql-client nodejs openjdk-17-jre-headless

.PHONY: install system-deps a11y-deps run test lint check bench clean

install: $(STAMP)

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	case "$$missing" in *postgresql-client*) command -v pg_dump >/dev/null && missing="$${missing/ postgresql-client/}";; esac; \
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
	@echo "cadre_exit: http://127.0.0.1:$(PORT)/  (demo password: $${DEMO_PASSWORD:-cadre-demo})"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/celery -A cadre_exit worker --loglevel=INFO --pool=solo & \
	$(BIN)/celery -A cadre_exit beat --loglevel=INFO & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT) --noreload

test: install a11y-deps
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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
