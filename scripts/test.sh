#!/usr/bin/env bash
# The whole test suite from a fresh clone: venv, packages, embedded PostgreSQL + pgvector.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
.venv/bin/ruff check bot domain storage tests benchmarks
exec .venv/bin/python -m pytest "$@"
