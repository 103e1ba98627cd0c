# `make demo` and `make test` each create .venv and install what they need if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean playground

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record that an extra is installed; they are redone when pyproject.toml changes.
$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[sklearn]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(VENV)/.playground-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[playground,onnx]"
	touch $@

demo: $(VENV)/.demo-installed
	$(BIN)/mlplab reproduce part2
	@echo
	$(BIN)/python examples/digits.py

# The playground: a local page (127.0.0.1, a free port) where a network trains live; Ctrl-C stops it.
playground: $(VENV)/.playground-installed
	$(BIN)/mlplab playground --open

# The tests multiply small matrices, where BLAS threads only add overhead (and on a busy
# two-core machine, a lot of it), so they run with one.
test: $(VENV)/.test-installed
	$(BIN)/ruff check mlplab tests bench examples
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check mlplab tests bench examples

bench: $(VENV)/.test-installed
	$(BIN)/python bench/tutorial_speed.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
