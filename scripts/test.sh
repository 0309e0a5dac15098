#!/usr/bin/env bash
# The whole test suite from a fresh clone: venv, packages, embedded PostgreSQL + pgvector.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/python -m pytest "$@"
