# Two commands on a fresh machine: `make all` builds the dataset, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
RAW    ?= raw
OUT    ?= processed

.DEFAULT_GOAL := help
.PHONY: help venv all cron fetch build suites release test lint eval bench bench-national clean

help:  ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

all: $(STAMP)  ## fetch what is new (offline: use the archive) and rebuild processed/
	$(BIN)/python -m pipeline all --raw-dir $(RAW) --out-dir $(OUT)

cron: $(STAMP)  ## unattended `all`: lock, logs/ (rotated), release, processed/RUN.json; see README
	$(BIN)/python -m pipeline all --cron --raw-dir $(RAW) --out-dir $(OUT)

fetch: $(STAMP)  ## fetch the catalogue's pages into raw/ (skips what is archived)
	$(BIN)/python -m pipeline fetch --raw-dir $(RAW)

build: $(STAMP)  ## parse, extract, validate and export raw/ into processed/ (no network)
	$(BIN)/python -m pipeline build --raw-dir $(RAW) --out-dir $(OUT)

suites: build  ## rewrite schemas/expectations/ (suites from schemas/, row counts from the build); commit the diff
	$(BIN)/python -m pipeline suites --out-dir $(OUT)

release: build  ## release the build into processed/releases/vYYYY.MM.DD/ (nothing new when nothing changed)
	$(BIN)/python -m pipeline release --out-dir $(OUT)

test: $(STAMP)  ## run the test suite and ruff
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: $(STAMP)  ## precision, recall and misses of the fact extractor: tests/gold, then the two held-out sets
	$(BIN)/python -m pipeline.run.evaluate
	$(BIN)/python -m pipeline.run.evaluate --gold-dir tests/heldout --corpus-dir tests/heldout
	$(BIN)/python -m pipeline.run.evaluate --gold-dir tests/heldout2 --corpus-dir tests/heldout2

bench: $(STAMP)  ## benchmarks: extraction, fetch politeness, builds of 2,000 and 8,000 reports, a 20 MB freak (~15 min)
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_fetch.py
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_build.py --freak

bench-national: $(STAMP)  ## a build of 100,000 synthetic reports: peak memory under 2 GB (about an hour)
	$(BIN)/python bench/bench_build.py --sizes 100000 --full-only

lint: $(STAMP)  ## ruff only
	$(BIN)/ruff check .

clean:  ## remove the virtual environment, built files and the parse cache
	rm -rf $(VENV) .cache/build $(OUT)/*.parquet $(OUT)/*.csv $(OUT)/*.json $(OUT)/*.md
