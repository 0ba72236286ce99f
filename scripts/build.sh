#!/usr/bin/env bash
# Builds the plain binary (build/) and the ASan+UBSan one (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build
ninja -C build
if [ "${1:-}" = "--with-asan" ]; then
	[ -f build-asan/build.ninja ] ||
		meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	[ -f build-fuzz/build.ninja ] ||
		CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled \
			-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz
fi
