#!/usr/bin/env bash
# Makes the Debian 12 image for Dockerfile's build stage from Debian's
# packages, for machines that reach Debian's archive but no image
# registry: mmdebstrap (minbase; like debootstrap, but apt downloads in
# parallel: half the time) with the build packages included, so that the
# build stage needs no network; then `docker import`. Documentation and
# locales are left out, apt's lists and downloads too.
#   scripts/debian-base.sh [DOCKER_HOST_SOCKET]    -> dockgate-build-base:bookworm
# The root file system is kept as build-base/bookworm.tar (a build dir,
# not committed) and reused while the package list below is unchanged.
# DEBIAN_MIRROR overrides mmdebstrap's default mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
image=dockgate-build-base:bookworm
# What scripts/install-deps.sh --build installs.
include=gcc,libc6-dev,meson,ninja-build,pkg-config,libseccomp-dev,libyaml-dev
tar=build-base/bookworm.tar
stamp=build-base/bookworm.include

if [ ! -f "$tar" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$include" ]; then
	command -v mmdebstrap >/dev/null || scripts/install-deps.sh
	mkdir -p build-base
	mmdebstrap --variant=minbase --include="$include" \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
		bookworm build-base/bookworm.new.tar ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >&2
	mv build-base/bookworm.new.tar "$tar"
	echo "$include" >"$stamp"
fi
docker ${1:+-H "unix://$1"} import "$tar" "$image" >/dev/null
echo "$image"
