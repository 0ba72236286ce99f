#!/usr/bin/env bash
# Installs what building and testing dockgate needs, from Debian 12's
# packages only. Idempotent: apt runs only when something is missing.
set -euo pipefail

packages=(
	gcc libc6-dev meson ninja-build pkg-config   # build
	libseccomp-dev                               # system call allowlist
	libcmocka-dev                                # unit tests
	clang libclang-rt-14-dev                     # libFuzzer targets
	python3 python3-pytest python3-h11 python3-docker  # integration tests
	docker.io busybox-static                     # a real daemon + tiny image
	curl socat                                   # test helpers
	docker-compose python3-yaml                  # recipes: \`docker-compose config\`, test_recipes.py parses them
	podman                                       # the other engine's Docker API
	strace systemd groff-base python3-yaml       # shipping: unit filter, man page, manifests
)

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
