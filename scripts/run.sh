#!/usr/bin/env bash
# Quick start: install build dependencies, build, and run dockgate in the
# foreground against the local Docker socket. Settings come from the
# environment (see README.md), e.g. CONTAINERS=1 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/dockgate "$@"
