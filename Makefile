# 志願服務紀錄入口 — `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: install run test test-deps lint translations compile-translations migrate bench clean test-clock

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

compile-translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

install: $(VENV)/.installed compile-translations migrate
	$(FLASK) demo-data --if-empty

run: install
	$(FLASK) run --host 127.0.0.1 --port 5000

# Re-extract messages after changing user-facing strings, then translate the new ones in the .po file.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract
	$(VENV)/bin/pybabel update -l zh_Hant_TW --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d translations

# System packages the browser and PDF tests need (Debian, as root); a no-op when present.
test-deps: $(VENV)/.installed compile-translations
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in chromium poppler-utils fonts-noto-cjk; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

# The floors (import-linter contract in pyproject.toml) and ruff (pyflakes, bugbear, import order).
lint: $(VENV)/.installed
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check portal tests benchmarks docs wsgi.py

test: test-deps lint
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# The page benchmark (benchmarks/README.md): wrk from Debian (installed as root when missing), PostgreSQL at
# 127.0.0.1:5432 (its database portal_bench is loaded once by `flask synth` and reused), Redis at 127.0.0.1:6379
# for the rate limits when it answers. BENCH_SCALE=small|medium|national, BENCH_SECONDS, BENCH_ONLY=web,...
bench: $(VENV)/.installed compile-translations
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then echo "installing wrk"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "make bench needs wrk: apt-get install wrk (as root)"; exit 1; fi; }
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) instance/portal.db* translations/*/LC_MESSAGES/*.mo

# The dated rules and workflows on SQLite with the clock frozen (tests/frozen_clock.py; each test starts at
# the instant): on 29 February, and at 23:59 on 31 December in Taipei (15:59 UTC), a minute before the new year.
CLOCK_INSTANTS := 2028-02-29T09:00:00+08:00 2026-12-31T23:59:00+08:00
CLOCK_TESTS := $(addprefix tests/test_,$(addsuffix .py,dates identity awards_rules honor_cards_rules hours training \
  records insurance certificates honor_cards awards awards_record awards_import imports volunteers_record my_record \
  auth mfa sessions stats_kpi stats_cli stats_dashboards worklist resolutions award_channels \
  notification_events accounts_selfservice unit_registration))
test-clock: $(VENV)/.installed compile-translations
	@for instant in $(CLOCK_INSTANTS); do echo "== PORTAL_TEST_CLOCK=$$instant"; \
	  env -u TEST_DATABASE_URL -u REQUIRE_POSTGRES PORTAL_TEST_CLOCK=$$instant \
	    $(PY) -m pytest -n 2 --dist loadgroup -m "not browser" $(CLOCK_TESTS) $(PYTEST_ARGS) || exit 1; done

# Mutation testing of the rule modules ([tool.mutmut] in pyproject.toml: the pure rules, with their fast
# rule tests only), then the kill rate per module without the equivalent mutants listed with a reason in
# tests/mutation-equivalent.txt; fails below 90 %. mutmut's progress goes to mutants/run.log.
.PHONY: mutation
mutation: $(VENV)/.installed
	rm -rf mutants && mkdir mutants
	$(VENV)/bin/mutmut run --max-children 2 >mutants/run.log 2>&1 || { tail -c 3000 mutants/run.log; exit 1; }
	$(PY) -m tests.mutation_report

# What the security groups of the suite checked (hostile values, files, redirects, identity numbers, sessions,
# slow clients, concurrency, kill -9 faults, backups) and their failures, as a Markdown table (tests/security_report.py;
# also written to instance/security-report.md). Fails unless every test passed. PostgreSQL too when TEST_DATABASE_URL is set.
.PHONY: security-report
security-report: test-deps
	$(PY) -m tests.security_report
