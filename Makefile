# Stockbook — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL_BASE ?= postgresql://postgres@127.0.0.1:5432
DEMO_DB ?= sqlite:///$(CURDIR)/var/demo.db
APT_PACKAGES := fonts-noto-cjk chromium chromium-driver postgresql-client slapd ldap-utils libldap2-dev libsasl2-dev gcc python3-dev openssl poppler-utils redis-server
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: demo test test-sqlite test-pg bench sysdeps venv services scenarios clean

$(BIN)/stockbook: pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null || { echo "need $(PY)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@

venv: $(BIN)/stockbook

# Debian packages: a CJK font for PDFs, Chromium (Debian's, never a downloaded browser) for browser tests.
sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# PostgreSQL must be up for the PostgreSQL half of the suite, Redis for the job-queue tests; start them if down.
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start || true; \
	  for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /tmp \
	    --logfile /tmp/stockbook-redis.log || true; \
	  for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }

demo: sysdeps venv
	mkdir -p var
	$(BIN)/stockbook --db $(DEMO_DB) demo
	@echo
	@echo "Stockbook 示例商贸有限公司 → http://127.0.0.1:8000"
	$(BIN)/stockbook --db $(DEMO_DB) serve --addr 127.0.0.1:8000

test: sysdeps venv services test-sqlite test-pg

test-sqlite: venv
	STOCKBOOK_DATABASE_URL=sqlite:///$(CURDIR)/var/test.db $(BIN)/pytest -n 2 -p no:randomly tests

# A throwaway database per run: pytest-django creates test_<name> and drops it at the end.
test-pg: venv services
	STOCKBOOK_DATABASE_URL=$(PG_URL_BASE)/stockbook_ci_$$$$ $(BIN)/pytest -n 2 tests

scenarios: venv
	../shared/tools/check_scenarios --cli $(BIN)/stockbook

bench: venv
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.killnine --runs 100
	$(BIN)/python -m bench.external_wms
	$(BIN)/python -m bench.close_check
	$(BIN)/python -m bench.dashboard_load
	$(BIN)/python -m bench.recon_quality
	$(BIN)/python -m bench.aging
	$(BIN)/python -m bench.sales_order

clean:
	rm -rf $(VENV) var *.egg-info
