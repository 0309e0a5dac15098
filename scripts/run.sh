#!/usr/bin/env bash
# Installs the bot and starts it on the embedded database. With no arguments it opens
# the local terminal chat (`tutorbot demo`); any arguments are passed to `tutorbot`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
if [ "$#" -eq 0 ]; then set -- demo; fi
exec .venv/bin/tutorbot "$@"
