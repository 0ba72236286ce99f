#!/usr/bin/env bash
# Builds the release binary: fully static (glibc), stripped, into
# dist/rootfs/dockgate, with the minimal /etc files a FROM-scratch image
# needs to resolve "nobody"/"nogroup" by name. Then `docker build .` makes
# the image without pulling anything.
#
# Why glibc and not musl: libseccomp and the kernel headers (Landlock) come
# from Debian for glibc; musl-gcc sees neither. Names are read from
# /etc/passwd and /etc/group by src/idmap.c, not by glibc's NSS (which a
# static binary would carry with dlopen, iconv and a resolver); numeric
# ids always work.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build-static/build.ninja ] ||
	meson setup build-static -Dtests=disabled -Dbuildtype=release \
		-Dprefer_static=true -Dc_link_args=-static -Db_pie=false
ninja -C build-static
rm -rf dist/rootfs
mkdir -p dist/rootfs/etc
strip -o dist/rootfs/dockgate build-static/dockgate
cp packaging/passwd packaging/group dist/rootfs/etc/
ls -l dist/rootfs/dockgate
dist/rootfs/dockgate --version
