# The README names `make up` and `make test`; everything else is a helper for them.
# Every install takes exactly the locked set (requirements/dev.txt: versions and hashes; the
# hub's proxy from deploy/local/proxy/package-lock.json).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements/dev.txt
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: up test install lint format typecheck bench images docs lock upgrade-check

$(STAMP): pyproject.toml $(LOCK) deploy/local/proxy/package-lock.json
	@scripts/ensure-python.sh $(PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	@scripts/ensure-native.sh
	@scripts/ensure-proxy.sh
	$(BIN)/python -m tre.native
	@touch $(STAMP)

install: $(STAMP)

## Bring up the whole TRE with demo data on http://127.0.0.1:8000 (as root: Docker too)
up: $(STAMP)
	@scripts/ensure-docker.sh || echo "Going on without workspaces." >&2
	$(BIN)/tre up --demo

## Run the whole test suite (Docker/PostgreSQL/browser tests skip with a reason if absent)
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check tre tests bench scripts
	$(BIN)/ruff format --check tre tests bench scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix tre tests bench
	$(BIN)/ruff format tre tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

images: $(STAMP)
	$(BIN)/tre image build

bench: $(STAMP)
	$(BIN)/python bench/run.py

docs: $(STAMP)
	$(BIN)/python scripts/gen_docs.py

## Re-resolve the locks after an input changed (pins kept); UPGRADE="pkg ..." or UPGRADE=--all
lock: $(STAMP)
	UV=$(BIN)/uv scripts/lock.sh $(UPGRADE)

## Newest allowed releases in a scratch venv: which would change, and do the unit tests pass
upgrade-check: $(STAMP)
	UV=$(abspath $(BIN))/uv scripts/upgrade-check.sh
