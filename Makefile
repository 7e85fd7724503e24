# Two commands on a fresh machine: `make all` builds the dataset, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock
# cffconvert (the test that CITATION.cff is valid CFF 1.2) pins jsonschema<4, which frictionless and Great
# Expectations cannot share: it gets an environment of its own, from a lock of its own
CFFCONVERT := $(VENV)/cffconvert/bin/cffconvert
CFF_LOCK   := requirements-cffconvert.lock
RAW    ?= raw
OUT    ?= processed
PORT   ?= 8001

.DEFAULT_GOAL := help
.PHONY: help venv lock check-lock all cron fetch build suites release serve test lint eval bench bench-national clean

help:  ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The venv holds exactly the lock's versions (hash-checked), then the project itself without resolving anything.
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

$(CFFCONVERT): $(CFF_LOCK) | $(STAMP)
	$(PYTHON) -m venv $(VENV)/cffconvert
	$(VENV)/cffconvert/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(CFF_LOCK)

venv: $(STAMP) $(CFFCONVERT)  ## create .venv from requirements.lock (again whenever the lock changes)

lock:  ## re-resolve the lock files from pyproject.toml (keeps existing pins; UPGRADE=1 takes the newest)
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 --generate-hashes \
		--quiet --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK)
	echo 'cffconvert>=2,<3' | $(BIN)/uv pip compile - --universal --python-version 3.11 --generate-hashes \
		--quiet --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(CFF_LOCK)

check-lock: $(STAMP)  ## the venv holds exactly the lock's versions, nothing missing and nothing more
	$(BIN)/python -m pipeline.run.lockfile --exact $(LOCK)

all: $(STAMP)  ## fetch what is new (offline: use the archive) and rebuild processed/
	$(BIN)/python -m pipeline all --raw-dir $(RAW) --out-dir $(OUT)

cron: $(STAMP)  ## unattended `all`: lock, logs/ (rotated), release, processed/RUN.json; see README
	$(BIN)/python -m pipeline all --cron --raw-dir $(RAW) --out-dir $(OUT)

fetch: $(STAMP)  ## fetch the catalogue's pages into raw/ (skips what is archived)
	$(BIN)/python -m pipeline fetch --raw-dir $(RAW)

build: $(STAMP)  ## parse, extract, validate and export raw/ into processed/ (no network)
	$(BIN)/python -m pipeline build --raw-dir $(RAW) --out-dir $(OUT)

suites: $(STAMP)  ## rewrite schemas/expectations/ (suites from schemas/, row counts from tests/fixtures/archive)
	$(BIN)/python tests/builtdata.py

release: build  ## release the build into processed/releases/vYYYY.MM.DD/ (nothing new when nothing changed)
	$(BIN)/python -m pipeline release --out-dir $(OUT)

serve: $(STAMP)  ## browse the build in Datasette on 127.0.0.1, port PORT=8001 (builds first when there is none)
	@test -f $(OUT)/datapackage.json || $(MAKE) build
	$(BIN)/python -m pipeline serve --out-dir $(OUT) --port $(PORT)

test: $(STAMP) $(CFFCONVERT)  ## run the test suite and ruff
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: $(STAMP)  ## precision, recall and misses: facts on tests/gold and the held-out sets, indicators on tests/realindicators, identity on tests/realpages
	$(BIN)/python -m pipeline.run.evaluate
	$(BIN)/python -m pipeline.run.evaluate --gold-dir tests/heldout --corpus-dir tests/heldout
	$(BIN)/python -m pipeline.run.evaluate --gold-dir tests/heldout2 --corpus-dir tests/heldout2
	$(BIN)/python -m pipeline.run.evaluate_indicators
	$(BIN)/python -m pipeline.run.evaluate_identity --pages-dir tests/realpages

bench: $(STAMP)  ## benchmarks: extraction, fetch politeness, builds of 2,000 and 8,000 reports, a 20 MB freak (~15 min)
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_fetch.py
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_site.py
	$(BIN)/python bench/bench_build.py --freak

bench-national: $(STAMP)  ## a build of 100,000 synthetic reports: peak memory under 2 GB (about an hour)
	$(BIN)/python bench/bench_build.py --sizes 100000 --full-only

lint: $(STAMP)  ## ruff only
	$(BIN)/ruff check .

clean:  ## remove the virtual environment, built files, the parse cache and the site's database
	rm -rf $(VENV) .cache/build .cache/site $(OUT)/*.parquet $(OUT)/*.csv $(OUT)/*.json $(OUT)/*.md
