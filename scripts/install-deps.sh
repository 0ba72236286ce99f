#!/usr/bin/env bash
# Installs what building and testing dockgate needs, from Debian 12's
# packages only; with --build, only what building and running need.
# Idempotent: apt runs only when something is missing.
set -euo pipefail

# What building and running need; `--build` installs only these (the
# quick start), everything else is for the tests.
build_packages=(
	gcc libc6-dev meson ninja-build pkg-config   # build
	libseccomp-dev                               # system call allowlist
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
)
packages=("${build_packages[@]}")
[ "${1:-}" = "--build" ] || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
