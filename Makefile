# 志願服務紀錄入口 — `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: install run test test-deps translations compile-translations migrate bench clean

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

test: test-deps
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) instance/portal.db* translations/*/LC_MESSAGES/*.mo
