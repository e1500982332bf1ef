# Leerkring: `make run` serves the app on the embedded default (SQLite); `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PORT ?= 5000
HOST ?= 127.0.0.1
VENDOR := app/static/vendor

.PHONY: run test deps test-deps vendor translations migrate bench clean worker

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Leerkring needs Python 3.11 or newer"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/htmx.min.js: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js

$(VENDOR)/hx-sse.min.js: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/ext/hx-sse.min.js $(VENDOR)/hx-sse.min.js

vendor: $(VENDOR)/htmx.min.js $(VENDOR)/hx-sse.min.js

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy --statistics -d app/translations

deps: $(VENV)/.installed vendor translations

migrate: deps
	$(FLASK) db upgrade

run: migrate
	@$(FLASK) setup-link
	@echo "  Leerkring draait op $${APP_URL:-http://localhost:$(PORT)} (Ctrl+C stopt)"
	PORT=$(PORT) LEERKRING_WORKER=thread $(VENV)/bin/gunicorn --bind $(HOST):$(PORT) --worker-class gthread --threads $${THREADS:-200} --keep-alive 75 \
	  --workers 1 --access-logfile - --log-level warning 'app:create_app()'

# The second pass runs on the scale-out path: the test database on PostgreSQL (emptied per test,
# never DATABASE_URL) and rate limits and the live broker on Redis (keys under a per-run prefix,
# removed afterwards). It runs when both answer; REQUIRE_POSTGRES=1 (CI) makes their absence an error.
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
SCALE_UP := $(PY) -c "import psycopg, redis; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close(); redis.Redis.from_url('$(TEST_REDIS_URL)', socket_connect_timeout=3).ping()"

test: deps
	@test -x /usr/bin/chromium || { echo "Browser tests need Debian's chromium: sudo apt-get install -y chromium"; exit 1; }
	@echo "== 1/2 the whole suite on the embedded default (SQLite, in-process broker and rate limits)"
	env -u REDIS_URL -u TEST_DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)
	@if $(SCALE_UP) 2>/dev/null; then \
	  echo "== 2/2 the whole suite on PostgreSQL ($(TEST_POSTGRES_URL)) and Redis ($(TEST_REDIS_URL))"; \
	  TEST_DATABASE_URL=$(TEST_POSTGRES_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS) || exit 1; \
	elif [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then \
	  echo "PostgreSQL at $(TEST_POSTGRES_URL) or Redis at $(TEST_REDIS_URL) does not answer"; $(SCALE_UP); exit 1; \
	else echo "== 2/2 skipped: PostgreSQL ($(TEST_POSTGRES_URL)) or Redis ($(TEST_REDIS_URL)) does not answer"; fi

bench: deps
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache
