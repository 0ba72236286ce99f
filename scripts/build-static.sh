#!/usr/bin/env bash
# Builds the release binary: fully static (glibc), stripped, into
# dist/rootfs/dockgate, with the minimal /etc files a FROM-scratch image
# needs to resolve "nobody"/"nogroup" by name. Then `docker build -f
# Dockerfile.prebuilt .` makes the image without pulling anything.
#
#   scripts/build-static.sh                  this machine's architecture -> dist/rootfs/
#   scripts/build-static.sh --arch arm64 ... each named one -> dist/ARCH/rootfs/
#   scripts/build-static.sh --arch all       every one of scripts/arches.sh
#   ... --with-unit-tests                     also the unit tests of each other
#                                            architecture, in build-cross/ARCH/unit/,
#                                            for scripts/test.sh to run under qemu-user
#
# Other architectures are cross-compiled with Debian's cross gcc against
# Debian's libseccomp-dev for that architecture (installed on demand),
# in build-cross/ARCH/static/, several at a time.
#
# Why glibc and not musl: libseccomp and the kernel headers (Landlock) come
# from Debian for glibc; musl-gcc sees neither. Names are read from
# /etc/passwd and /etc/group by src/idmap.c, not by glibc's NSS (which a
# static binary would carry with dlopen, iconv and a resolver); numeric
# ids always work.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/arches.sh

static_options=(-Dtests=disabled -Dbuildtype=release -Dprefer_static=true
	-Dc_link_args=-static -Db_pie=false)

# rootfs BINARY STRIP DIR: the image's whole file system.
rootfs() {
	rm -rf "$3"
	mkdir -p "$3/etc"
	"$2" -o "$3/dockgate" "$1"
	cp packaging/passwd packaging/group "$3/etc/"
}

# build_arch ARCH: one architecture into dist/ARCH/rootfs/.
build_arch() {
	local arch=$1 dir=build-cross/$1/static
	arch_info "$arch"
	if [ "$arch" = "$(native_arch)" ]; then
		dir=build-static
		[ -f $dir/build.ninja ] || meson setup $dir "${static_options[@]}"
		ninja -C $dir
		rootfs $dir/dockgate strip "dist/$arch/rootfs"
		return
	fi
	if [ ! -f "$dir/build.ninja" ]; then
		mkdir -p "build-cross/$arch"
		meson_cross_file "$arch" "build-cross/$arch/cross.ini"
		meson setup "$dir" --cross-file "build-cross/$arch/cross.ini" \
			"${static_options[@]}"
	fi
	ninja -C "$dir"
	rootfs "$dir/dockgate" "$ARCH_TRIPLET-strip" "dist/$arch/rootfs"
	if [ "$with_unit_tests" = 1 ]; then
		# cmocka has no static library: these link dynamically and run
		# with ARCH's loader and libraries from the multiarch packages.
		[ -f "build-cross/$arch/unit/build.ninja" ] ||
			meson setup "build-cross/$arch/unit" \
				--cross-file "build-cross/$arch/cross.ini" -Dtests=enabled
		# Only the unit tests: the binary itself is the static one.
		# shellcheck disable=SC2046 # a word list of target names
		ninja -C "build-cross/$arch/unit" $(meson introspect --targets \
			"build-cross/$arch/unit" | /usr/bin/python3 -c 'import json, sys
print(" ".join(t["name"] for t in json.load(sys.stdin) if t["name"].startswith("test_")))')
	fi
}

arches=()
with_unit_tests=0
while [ $# -gt 0 ]; do
	case "$1" in
	--with-unit-tests) with_unit_tests=1 ;;
	--arch)
		# shellcheck disable=SC2206 # a word list
		if [ "$2" = all ]; then arches+=($DOCKGATE_ARCHES); else arches+=("$2"); fi
		shift ;;
	*) echo "usage: $0 [--arch ARCH|all]... [--with-unit-tests]" >&2; exit 2 ;;
	esac
	shift
done

if [ ${#arches[@]} -eq 0 ]; then
	scripts/install-deps.sh --build
	[ -f build-static/build.ninja ] || meson setup build-static "${static_options[@]}"
	ninja -C build-static
	rootfs build-static/dockgate strip dist/rootfs
	ls -l dist/rootfs/dockgate
	dist/rootfs/dockgate --version
	exit 0
fi

deps=()
for a in "${arches[@]}"; do arch_info "$a"; deps+=(--arch "$a"); done
if [ "$with_unit_tests" = 1 ]; then
	scripts/install-deps.sh "${deps[@]}"
else
	scripts/install-deps.sh --build "${deps[@]}"
fi
# Two at a time: the machine has two cores, and each build is mostly
# one compiler after another. A log per architecture, shown on failure.
declare -A status_of
for ((i = 0; i < ${#arches[@]}; i += 2)); do
	pair=("${arches[@]:i:2}")
	declare -A pid_of=()
	for a in "${pair[@]}"; do
		mkdir -p "build-cross/$a"
		build_arch "$a" >"build-cross/$a/build.log" 2>&1 &
		pid_of[$a]=$!
	done
	for a in "${pair[@]}"; do
		status_of[$a]=0
		wait "${pid_of[$a]}" || status_of[$a]=$?
	done
done
status=0
for a in "${arches[@]}"; do
	if [ "${status_of[$a]}" = 0 ]; then
		printf '%-8s %8d bytes  dist/%s/rootfs/dockgate\n' "$a" \
			"$(stat -c %s "dist/$a/rootfs/dockgate")" "$a"
	else
		echo "build-static: $a failed:" >&2
		tail -n 30 "build-cross/$a/build.log" >&2
		status=1
	fi
done
exit $status
