#!/usr/bin/env bash
# Installs what building and testing dockgate needs, from Debian 12's
# packages only; with --build, only what building and running need.
# --arch ARCH (repeatable) adds what building for ARCH needs on this
# machine: Debian's cross compiler, libseccomp-dev and libyaml-dev for ARCH, from
# the multiarch archive (see scripts/arches.sh). The test set includes every architecture of
# scripts/arches.sh, with qemu-user to run them.
# Idempotent: apt runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/arches.sh

# What building and running need; `--build` installs only these (the
# quick start), everything else is for the tests.
build_packages=(
	gcc libc6-dev meson ninja-build pkg-config   # build
	libseccomp-dev                               # system call allowlist
	libyaml-dev                                  # the policy file (POLICY_FILE)
)
test_packages=(
	libcmocka-dev                                # unit tests
	clang libclang-rt-14-dev                     # libFuzzer targets
	python3 python3-pytest python3-h11 python3-docker  # integration tests
	docker.io busybox-static                     # a real daemon + tiny image
	curl socat                                   # test helpers
	docker-compose python3-yaml                  # recipes: \`docker-compose config\`, test_recipes.py parses them
	podman                                       # the other engine's Docker API
	strace systemd groff-base python3-yaml       # shipping: unit filter, man page, manifests
	qemu-user-static                             # the other architectures' tests
	mmdebstrap                                   # the Debian base of the from-source image
	skopeo minisign                              # release: the OCI index, signatures
)

build_only=0
arches=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build_only=1 ;;
	--arch) arches+=("$2"); shift ;;
	*) echo "usage: $0 [--build] [--arch ARCH]..." >&2; exit 2 ;;
	esac
	shift
done
packages=("${build_packages[@]}")
if [ "$build_only" = 0 ]; then
	packages+=("${test_packages[@]}")
	# shellcheck disable=SC2206 # a word list
	arches+=($DOCKGATE_ARCHES)
fi

# A foreign architecture needs its cross compiler, its libseccomp and its
# libyaml; the tests also link cmocka for it.
native=$(native_arch)
foreign=()
for a in "${arches[@]}"; do
	arch_info "$a"
	[ "$a" = "$native" ] && continue
	foreign+=("$a")
	packages+=("gcc-$ARCH_TRIPLET" "libseccomp-dev:$a" "libyaml-dev:$a")
	if [ "$ARCH_LIBC" = cross ]; then packages+=("libc6-dev-$a-cross"); else packages+=("libc6-dev:$a"); fi
	[ "$build_only" = 1 ] || packages+=("libcmocka-dev:$a")
done

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	for a in "${foreign[@]}"; do
		dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
	done
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
