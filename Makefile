# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test bench check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# Creates .env with a fresh certificate signing key the first time, then starts the bot
# (migrations and content are applied by `bot run`).
run: install .env
	$(VENV)/bin/bot run

.env:
	@sed "s/^CERT_SIGNING_KEY=.*/CERT_SIGNING_KEY=$$($(PY) -c 'import secrets; print(secrets.token_hex(32))')/" .env.example > .env
	@echo "Created .env with a new CERT_SIGNING_KEY (edit it to add Telegram/Zalo tokens)."

test: install
	$(PY) -m pytest -q

check: install
	$(VENV)/bin/bot content check

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var/*.db var/files
