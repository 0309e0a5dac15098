#!/usr/bin/env bash
# The whole test suite from a fresh clone: venv, packages, embedded PostgreSQL + pgvector,
# and the Debian packages the certificate tests need (scripts/system-packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
./scripts/system-packages.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet .
# Three workers, each taking whole files (their fixtures stay per file): 11.5 min serial,
# 5 min so on the 2-core machine. PYTEST_WORKERS=0 runs serially (pytest -n 0).
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-3}" --dist loadfile "$@"
