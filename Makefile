# conduct-check — every target installs what it needs first.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: install run test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/build_durable_rules.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python scripts/build_durable_rules.py --out .cache/wheels
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps .cache/wheels/durable_rules-2.0.28+conductfix2-*.whl
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -c "import conduct_engine.rete as r; r.check_engine_build()"
	touch $(STAMP)

run: install
	$(BIN)/conduct-check serve --host $(HOST) --port $(PORT) --no-auth

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m tests.bench.run_bench
	$(BIN)/python -m tests.bench.scan_bench

lint: install
	$(BIN)/ruff check conduct_engine api tests scripts
	$(BIN)/mypy conduct_engine api

clean:
	rm -rf $(VENV) .cache build *.egg-info
