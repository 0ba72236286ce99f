#!/usr/bin/env bash
# Checks downloaded release files: the signature of SHA256SUMS with the
# project's minisign public key, then every file against SHA256SUMS.
#   scripts/verify-release.sh DIR PUBLIC_KEY_FILE
set -euo pipefail
dir=$1 key=$2
minisign -V -p "$key" -m "$dir/SHA256SUMS"
(cd "$dir" && sha256sum -c --strict SHA256SUMS)
