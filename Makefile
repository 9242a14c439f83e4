# Quickstart: `make demo` and `make test`. Each creates or reuses .venv.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint format typecheck layers pytest docs docs-serve bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'  # every extra, the docs tools, the test tools
	@touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python -m lark_async.demos

test: venv lint typecheck layers docs pytest

lint: venv
	$(BIN)/ruff check lark_async tests benchmarks
	$(BIN)/ruff format --check lark_async tests benchmarks

format: venv
	$(BIN)/ruff format lark_async tests benchmarks
	$(BIN)/ruff check --fix lark_async tests benchmarks

typecheck: venv
	$(BIN)/mypy --strict lark_async

layers: venv
	$(BIN)/lint-imports

pytest: venv
	$(BIN)/pytest -q

# The docs site (mkdocs-material + mkdocstrings), strict: a broken link or reference fails.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs-serve: venv
	$(BIN)/mkdocs serve

# Every benchmark prints its figures beside bare aiohttp's (or the theoretical maximum).
bench: venv
	@for b in transport messaging callbacks bulk; do \
	  if [ -f benchmarks/$$b.py ]; then echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py || exit 1; fi; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .demo site
