#!/usr/bin/env bash
# Makes the release files from scripts/build-static.sh --arch all's
# binaries, into OUT (default dist/release/):
#   dockgate-VERSION-linux-ARCH       one static binary per architecture
#   dockgate-VERSION.spdx.json        the SBOM: what each binary is made of
#   dockgate-VERSION.oci.tar          the multi-architecture image, an OCI
#                                     image index (scripts/oci_image.py)
#   dockgate-VERSION.image-digest     that index's digest: what a registry
#                                     serves for the tag, so the signature
#                                     below covers the published image too
#   SHA256SUMS                        of all of the above
#   SHA256SUMS.minisig                its signature, with the minisign secret
#                                     key in MINISIGN_SECRET_KEY (the key
#                                     itself) or MINISIGN_KEY (a file)
# Verify with scripts/verify-release.sh OUT PUBLIC_KEY.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/arches.sh
out=${1:-dist/release}
version=$(meson introspect --projectinfo meson.build 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
rm -rf "$out"
mkdir -p "$out"
for a in $DOCKGATE_ARCHES; do
	bin=dist/$a/rootfs/dockgate
	[ -x "$bin" ] || { echo "release: $bin is missing (scripts/build-static.sh --arch all)" >&2; exit 1; }
	cp "$bin" "$out/dockgate-$version-linux-$a"
done
/usr/bin/python3 scripts/sbom.py "$version" "$out" >"$out/dockgate-$version.spdx.json"
/usr/bin/python3 scripts/oci_image.py "$out/dockgate-$version.oci.tar" "$version" |
	awk '$1 == "index" { print $2 }' >"$out/dockgate-$version.image-digest"
(cd "$out" && sha256sum -- dockgate-* >SHA256SUMS)
if [ -n "${MINISIGN_SECRET_KEY:-}" ]; then
	MINISIGN_KEY=$(mktemp)
	trap 'rm -f "$MINISIGN_KEY"' EXIT
	printf '%s\n' "$MINISIGN_SECRET_KEY" >"$MINISIGN_KEY"
fi
if [ -n "${MINISIGN_KEY:-}" ]; then
	# The key is unencrypted (it lives in the forge's secret store);
	# minisign reads an empty password from stdin then.
	minisign -S -s "$MINISIGN_KEY" -m "$out/SHA256SUMS" \
		-t "dockgate $version SHA256SUMS" </dev/null >/dev/null
fi
ls -l "$out" >&2
