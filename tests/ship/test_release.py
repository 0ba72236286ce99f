"""The release files (scripts/release.sh): one binary per architecture,
the SBOM, the multi-architecture image as an OCI image index, checksums
and a minisign signature that scripts/verify-release.sh checks; and the
index's images, loaded into the test daemon, are the architectures they
say, configured as the image Dockerfile.prebuilt builds.

Signed here with a throwaway key made for the test.
"""

import hashlib
import json
import os
import subprocess

import pytest

from dockgate_testlib.settings import REPO

ARCHES = {"amd64": ("amd64", ""), "arm64": ("arm64", "v8"), "armhf": ("arm", "v7"),
          "i386": ("386", ""), "ppc64el": ("ppc64le", ""), "s390x": ("s390x", "")}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    d = tmp_path_factory.mktemp("release")
    key, pub = d / "key", d / "key.pub"
    cp = subprocess.run(["minisign", "-G", "-W", "-s", str(key), "-p", str(pub)],
                        capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    out = d / "out"
    env = dict(os.environ, MINISIGN_SECRET_KEY=key.read_text())
    cp = subprocess.run(["scripts/release.sh", str(out)], cwd=REPO, env=env,
                        capture_output=True, text=True, timeout=300)
    assert cp.returncode == 0, cp.stderr[-3000:]
    version = next(out.glob("*.oci.tar")).name[len("dockgate-"):-len(".oci.tar")]
    return out, pub, version


def verify(out, pub):
    return subprocess.run(["scripts/verify-release.sh", str(out), str(pub)], cwd=REPO,
                          capture_output=True, text=True)


def test_signature_and_checksums_verify(release):
    out, pub, version = release
    names = set(os.listdir(out))
    want = {f"dockgate-{version}-linux-{a}" for a in ARCHES} | {
        f"dockgate-{version}.spdx.json", f"dockgate-{version}.oci.tar",
        f"dockgate-{version}.image-digest", "SHA256SUMS", "SHA256SUMS.minisig"}
    assert want <= names, sorted(names)
    cp = verify(out, pub)
    assert cp.returncode == 0, cp.stdout + cp.stderr


def test_a_changed_binary_fails_verification(release, tmp_path):
    out, pub, version = release
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(out), str(copy)], check=True)
    with open(copy / f"dockgate-{version}-linux-arm64", "r+b") as f:
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 1]))
    cp = verify(copy, pub)
    assert cp.returncode != 0 and "FAILED" in cp.stdout, cp.stdout + cp.stderr
    # And a changed SHA256SUMS fails the signature.
    sums = (out / "SHA256SUMS").read_text().replace("linux-arm64", "linux-arm65")
    (copy / "SHA256SUMS").write_text(sums)
    assert verify(copy, pub).returncode != 0


def test_sbom_names_each_binary_and_its_debian_packages(release):
    out, _, version = release
    doc = json.loads((out / f"dockgate-{version}.spdx.json").read_text())
    assert doc["spdxVersion"] == "SPDX-2.3"
    files = {f["fileName"]: f for f in doc["files"]}
    pkgs = {p["SPDXID"]: p for p in doc["packages"]}
    for arch in ARCHES:
        name = f"dockgate-{version}-linux-{arch}"
        f = files[f"./{name}"]
        assert f["checksums"][0]["checksumValue"] == \
            hashlib.sha256((out / name).read_bytes()).hexdigest()
        linked = {pkgs[r["relatedSpdxElement"]]["name"] for r in doc["relationships"]
                  if r["spdxElementId"] == f["SPDXID"] and r["relationshipType"] == "STATIC_LINK"}
        assert linked == {"glibc", "libseccomp", "libyaml"}, (arch, linked)
    for p in doc["packages"][1:]:
        assert p["versionInfo"] and "NOASSERTION" not in p["versionInfo"], p


def test_image_index_has_each_architecture(release, image, dockerd):
    """Each image of the index, copied into the test daemon by skopeo, is
    its architecture, has that architecture's binary and the prebuilt
    image's configuration; the native one runs."""
    out, _, version = release
    archive = out / f"dockgate-{version}.oci.tar"
    raw = subprocess.run(["skopeo", "inspect", "--raw", f"oci-archive:{archive}"],
                         capture_output=True, check=True).stdout
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == \
        (out / f"dockgate-{version}.image-digest").read_text().strip()
    index = json.loads(raw)
    platforms = {(m["platform"]["architecture"], m["platform"].get("variant", ""))
                 for m in index["manifests"]}
    assert platforms == set(ARCHES.values())
    _, prebuilt = dockerd.api("GET", f"/images/{image}/json")
    env = dict(os.environ, DOCKER_HOST="unix://" + dockerd.sock)
    for arch, (cpu, variant) in ARCHES.items():
        tag = f"dgship/index:{arch}"
        cp = subprocess.run(["skopeo", "copy", "--override-arch", cpu,
                             *(["--override-variant", variant] if variant else []),
                             "--dest-daemon-host", "unix://" + dockerd.sock,
                             f"oci-archive:{archive}", f"docker-daemon:{tag}"],
                            env=env, capture_output=True, text=True, timeout=120)
        assert cp.returncode == 0, cp.stderr
        try:
            _, got = dockerd.api("GET", f"/images/{tag}/json")
            assert got["Architecture"] == cpu, (arch, got["Architecture"])
            for key in ("Env", "User", "ExposedPorts", "Entrypoint", "Healthcheck"):
                assert got["Config"].get(key) == prebuilt["Config"].get(key), (arch, key)
            if arch == "amd64":
                r = dockerd.cli("run", "--rm", "--network", "none", tag, "--version")
                assert r.rc == 0 and r.out.startswith("dockgate "), r
        finally:
            dockerd.api("DELETE", f"/images/{tag}?force=1")
