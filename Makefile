# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test lint browser voice bench check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# Creates .env with a fresh certificate signing key the first time, then starts the bot
# (migrations and content are applied by `bot run`).
run: install voice .env
	$(VENV)/bin/bot run

.env:
	@sed "s/^CERT_SIGNING_KEY=.*/CERT_SIGNING_KEY=$$($(PY) -c 'import secrets; print(secrets.token_hex(32))')/" .env.example > .env
	@echo "Created .env with a new CERT_SIGNING_KEY (edit it to add Telegram/Zalo tokens)."

# The suite runs on every core (pytest-xdist): each test has its own database, schema and Redis prefix.
test: install browser voice
	$(PY) -m pytest -q -n auto

# The browser test (tests/browser) drives Debian's chromium through Playwright: the package comes
# from Debian's own archive when it is missing (CI runs as root; elsewhere through sudo), and no
# browser is ever downloaded by Playwright itself.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  echo "Installing Debian's chromium for the browser test (apt-get install chromium)"; \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q chromium fonts-noto-color-emoji >/dev/null && \
	  $(CHROMIUM) --version; }

# Read-aloud ("🔊 Nghe", bot/voice) speaks with Debian's espeak-ng and its Vietnamese voice, the
# offline default and every other voice's fallback: installed the same way as chromium.
ESPEAK := /usr/bin/espeak-ng
voice:
	@test -x $(ESPEAK) || { \
	  echo "Installing Debian's espeak-ng for read-aloud (apt-get install espeak-ng)"; \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q espeak-ng >/dev/null && \
	  $(ESPEAK) --version; }

# Style and errors (ruff), types (mypy), and the import layers of docs/architecture.md (import-linter).
lint: install
	$(VENV)/bin/ruff check bot bench tools tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: install
	$(VENV)/bin/bot content check

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var/*.db var/files
