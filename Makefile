# Two commands do all set-up on a fresh machine: `make book` and `make test`.
PROFILE ?= full
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: install book test lint strip clean chromium verify

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Outputs never reach git: a clean filter (tools/nbclean.py, stdlib only, relative path) strips outputs (see README).
install: $(STAMP)
	python3 tools/nbclean.py --install .

book: install
	$(PY) -m lstm_lib book --profile $(PROFILE)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check lstm_lib tests benchmarks

# The browser test drives Debian's Chromium at /usr/bin/chromium; installed here (apt-get, as root) if missing.
CHROMIUM := /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: install lint chromium
	$(PY) -m lstm_lib book --profile quick
	$(VENV)/bin/pytest

# Re-check committed results here: retrain the fixed rows and rebuild the claims table (see README, "Re-checking").
verify: install
	$(PY) -m lstm_lib verify --rows 4
	$(PY) -m lstm_lib verify --claims

strip: install
	$(PY) -m lstm_lib.book.nbclean chapters/*.ipynb

clean:
	rm -rf _build .cache screenshots chapters/figures
