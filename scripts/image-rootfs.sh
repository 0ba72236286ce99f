#!/usr/bin/env bash
# The build stage of Dockerfile: builds the static binary for the image's
# architecture and puts the image's whole file system in OUT.
#   scripts/image-rootfs.sh TARGETARCH TARGETVARIANT OUT
# TARGETARCH/TARGETVARIANT are BuildKit's (amd64, arm64, arm v7, 386,
# ppc64le, s390x); empty (the legacy builder) means this machine's.
# Installs what is missing with apt (nothing, on scripts/debian-base.sh's
# base, which has the build packages already).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/arches.sh
arch=$(native_arch)
[ -z "${1:-}" ] || arch=$(arch_from_docker "$1" "${2:-}")
out=$3
if [ "$arch" = "$(native_arch)" ]; then
	scripts/build-static.sh >&2
	from=dist/rootfs
else
	scripts/build-static.sh --arch "$arch" >&2
	from=dist/$arch/rootfs
fi
mkdir -p "$(dirname "$out")"
rm -rf "$out"
cp -a "$from" "$out"
