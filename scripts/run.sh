#!/usr/bin/env bash
# Quick start: install what building needs, build, and run dockgate in the
# foreground against the local Docker socket. Settings come from the
# environment (see README.md), e.g. CONTAINERS=1 scripts/run.sh
#
# It listens on tcp://127.0.0.1:2375 unless LISTEN says otherwise: on a
# host, the image's default tcp://[::]:2375 would hand the API to every
# network the host is on.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build
scripts/build.sh
export LISTEN="${LISTEN:-tcp://127.0.0.1:2375}"
exec build/dockgate "$@"
