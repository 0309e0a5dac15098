#!/usr/bin/env bash
# The whole test suite from a fresh clone: venv, packages, embedded PostgreSQL + pgvector,
# and the Debian packages the certificate tests need (scripts/system-packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
./scripts/system-packages.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/python -m pytest "$@"
