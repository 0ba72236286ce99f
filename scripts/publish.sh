#!/usr/bin/env bash
# Publishes what scripts/release.sh made in DIR: the image index to the
# registry repository REPO under the version's tag, then a release named
# TAG on the forge with every file of DIR (gh, with GITHUB_TOKEN).
#   scripts/publish.sh DIR REPO TAG
#   scripts/publish.sh --dry-run DIR REPO TAG   copies the image into an OCI
#       layout at DIR/published/ instead of the registry, and only lists
#       the release files; checks that the copy has the signed digest.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=0
[ "${1:-}" = --dry-run ] && { dry=1; shift; }
dir=$1 repo=${2,,} tag=$3
archive=$(ls "$dir"/dockgate-*.oci.tar)
version=${archive##*/dockgate-}
version=${version%.oci.tar}
want=$(cat "$dir/dockgate-$version.image-digest")
if [ "$dry" = 1 ]; then
	dest=oci:$dir/published:$version
else
	dest=docker://$repo:$version
	creds=(--dest-creds "${GITHUB_ACTOR:-$USER}:$GITHUB_TOKEN")
fi
# --all: the index and every architecture's image, digests unchanged.
skopeo copy --all --preserve-digests ${creds[@]+"${creds[@]}"} "oci-archive:$archive" "$dest"
got=$(skopeo inspect --raw "${dest/#oci:/oci:}" | sha256sum | awk '{ print "sha256:" $1 }')
if [ "$got" != "$want" ]; then
	echo "publish: $dest serves $got, but the signed digest is $want" >&2
	exit 1
fi
echo "publish: $dest is $want" >&2
if [ "$dry" = 1 ]; then
	ls "$dir"/dockgate-* "$dir"/SHA256SUMS* >&2
else
	command -v gh >/dev/null || apt-get install -y -q --no-install-recommends gh
	gh release create "$tag" --title "dockgate $version" --verify-tag \
		"$dir"/dockgate-* "$dir"/SHA256SUMS*
fi
