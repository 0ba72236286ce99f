#!/usr/bin/env bash
# Makes the Debian 12 image for Dockerfile's build stage from Debian's
# packages, for machines that reach Debian's archive but no image
# registry: debootstrap (minbase) with the build packages included, so
# that the build stage needs no network; then `docker import`.
#   scripts/debian-base.sh [DOCKER_HOST_SOCKET]    -> dockgate-build-base:bookworm
# The root file system is kept as build-base/bookworm.tar (a build dir,
# not committed) and reused while the package list below is unchanged.
# DEBIAN_MIRROR overrides debootstrap's default mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
image=dockgate-build-base:bookworm
# What scripts/install-deps.sh --build installs.
include=gcc,libc6-dev,meson,ninja-build,pkg-config,libseccomp-dev
tar=build-base/bookworm.tar
stamp=build-base/bookworm.include

if [ ! -f "$tar" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$include" ]; then
	scripts/install-deps.sh --build
	command -v debootstrap >/dev/null || scripts/install-deps.sh
	root=$(mktemp -d build-base.XXXXXX)
	trap 'rm -rf "$root"' EXIT
	debootstrap --variant=minbase --include="$include" bookworm "$root" \
		${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >&2
	# Downloaded .debs and apt's lists are not part of an image.
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	mkdir -p build-base
	tar -C "$root" --numeric-owner -cf "$tar.tmp" .
	mv "$tar.tmp" "$tar"
	echo "$include" >"$stamp"
fi
docker ${1:+-H "unix://$1"} import "$tar" "$image" >/dev/null
echo "$image"
