# `make run` and `make test` set themselves up on a fresh machine: they need only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# Stamps carry a checksum of pyproject.toml, so a changed dependency list reinstalls.
HASH := $(shell cksum pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.run-$(HASH)
TEST_STAMP := $(VENV)/.test-$(HASH)

WEB := voicebox/web
WEB_SOURCES := $(shell find $(WEB) -path $(WEB)/node_modules -prune -o -type f -print)
WEB_BUILT := voicebox/static/index.html

.PHONY: install run test lint bench ffmpeg chromium ops-tools web clean

install: $(TEST_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `make run` installs only what the service needs, so a fresh machine starts sooner.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $@ $(RUN_STAMP)

# The web app: built by npm and Vite (Node.js 20) when missing or older than its sources.
web: $(WEB_BUILT)

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

$(WEB_BUILT): $(WEB_SOURCES) $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && npm run build

run: $(RUN_STAMP) web
	$(BIN)/voicebox db upgrade
	exec $(BIN)/voicebox up

# The tests run every benchmark at its quick size, the transcode one included. They run in
# parallel: most of a test's time is spent waiting on a worker, a browser or a server, so more
# workers than cores pays; each has its own PostgreSQL schema, Redis database (at most 6) and folders.
TEST_WORKERS ?= 4
test: lint ffmpeg chromium ops-tools web
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=20

# The house's guard: style, types, the import contracts between layers and domains
# (pyproject.toml), and ESLint for the web app.
lint: $(TEST_STAMP) $(WEB)/node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	cd $(WEB) && npx eslint .

# Every benchmark runs even when one fails; the exit status says whether all met their goals.
bench: $(TEST_STAMP) ffmpeg chromium web
	$(BIN)/python -m benchmarks

# The transcode benchmark's baseline is Debian's ffmpeg command-line tool.
ffmpeg:
	@command -v ffmpeg >/dev/null || { echo "installing Debian's ffmpeg for the transcode benchmark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; }

# The operations tests: the alert rules and the dashboard's queries checked by promtool (in
# Debian's prometheus), and the production backup made with pg_dump and rclone.
OPS_PACKAGES := prometheus rclone postgresql-client
ops-tools:
	@dpkg -s $(OPS_PACKAGES) >/dev/null 2>&1 || { echo "installing $(OPS_PACKAGES) for the operations tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OPS_PACKAGES); }

# The browser tests drive Debian's Chromium (never a browser download), with the Chinese and
# emoji fonts a phone has, so that screenshots show what a family sees.
BROWSER_PACKAGES := chromium fonts-wqy-microhei fonts-noto-color-emoji
chromium:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); }

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis test-results voicebox/static $(WEB)/node_modules
