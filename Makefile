# The README names `make up` and `make test`; everything else is a helper for them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: up test install lint format typecheck bench images docs

$(STAMP): pyproject.toml
	@scripts/ensure-python.sh $(PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@scripts/ensure-native.sh
	$(BIN)/python -m tre.native
	@touch $(STAMP)

install: $(STAMP)

## Bring up the whole TRE with demo data on http://127.0.0.1:8000
up: $(STAMP)
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
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py

docs: $(STAMP)
	$(BIN)/python scripts/gen_docs.py
