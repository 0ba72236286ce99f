"""Prints the SPDX 2.3 SBOM (JSON) of the release files in OUT: each
static binary, with the Debian packages linked into it (glibc, libseccomp
and libyaml, static) and the compiler that built it, at the versions
installed on the machine that built it (dpkg-query).

Usage: python3 scripts/sbom.py VERSION OUT
"""

import datetime
import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def arch_table():
    out = subprocess.run(
        ["bash", "-c", '. scripts/arches.sh; for a in $DOCKGATE_ARCHES; do arch_info $a; '
         'echo "$a $ARCH_TRIPLET $ARCH_LIBC"; done; native_arch'],
        cwd=REPO, capture_output=True, text=True, check=True).stdout.split("\n")
    rows = [line.split() for line in out if len(line.split()) == 3]
    return {a: (triplet, libc) for a, triplet, libc in rows}, out[-2].strip()


def deb_version(package):
    cp = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                        capture_output=True, text=True)
    if cp.returncode != 0 or not cp.stdout:
        sys.exit(f"sbom: {package} is not installed: is this the machine that built the binaries?")
    return cp.stdout


def ingredients(arch, triplet, libc, native):
    """(SPDX name, Debian package, relationship) of what went into arch's binary."""
    if arch == native:
        return [("glibc", f"libc6-dev:{arch}", "STATIC_LINK"),
                ("libseccomp", f"libseccomp-dev:{arch}", "STATIC_LINK"),
                ("libyaml", f"libyaml-dev:{arch}", "STATIC_LINK"),
                ("gcc", "gcc-12", "BUILD_TOOL_OF")]
    glibc = f"libc6-dev-{arch}-cross" if libc == "cross" else f"libc6-dev:{arch}"
    return [("glibc", glibc, "STATIC_LINK"),
            ("libseccomp", f"libseccomp-dev:{arch}", "STATIC_LINK"),
            ("libyaml", f"libyaml-dev:{arch}", "STATIC_LINK"),
            ("gcc", f"gcc-12-{triplet}", "BUILD_TOOL_OF")]


def main():
    version, out = sys.argv[1], Path(sys.argv[2])
    table, native = arch_table()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    doc = {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"dockgate-{version}",
        "documentNamespace": f"https://spdx.org/spdxdocs/dockgate-{version}-{commit or 'local'}",
        "creationInfo": {"created": datetime.datetime.now(datetime.timezone.utc)
                         .strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "creators": ["Tool: dockgate scripts/sbom.py"]},
        "packages": [{"SPDXID": "SPDXRef-dockgate", "name": "dockgate", "versionInfo": version,
                      "downloadLocation": "NOASSERTION", "licenseConcluded": "MIT",
                      "sourceInfo": f"git commit {commit}" if commit else "NOASSERTION"}],
        "files": [], "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
             "relatedSpdxElement": "SPDXRef-dockgate"}],
    }
    seen = set()
    for arch, (triplet, libc) in table.items():
        path = out / f"dockgate-{version}-linux-{arch}"
        fid = f"SPDXRef-File-{arch}"
        doc["files"].append({"SPDXID": fid, "fileName": f"./{path.name}",
                             "checksums": [{"algorithm": "SHA256", "checksumValue":
                                            hashlib.sha256(path.read_bytes()).hexdigest()}]})
        doc["relationships"].append({"spdxElementId": fid, "relationshipType": "GENERATED_FROM",
                                     "relatedSpdxElement": "SPDXRef-dockgate"})
        for name, deb, rel in ingredients(arch, triplet, libc, native):
            pid = "SPDXRef-deb-" + "".join(c if c.isalnum() else "-" for c in deb)
            debname, _, debarch = deb.partition(":")
            if pid not in seen:
                seen.add(pid)
                ver = deb_version(deb)
                doc["packages"].append({
                    "SPDXID": pid, "name": name, "versionInfo": ver,
                    "downloadLocation": "NOASSERTION", "supplier": "Organization: Debian",
                    "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                                      "referenceType": "purl",
                                      "referenceLocator": f"pkg:deb/debian/{debname}@{ver}"
                                      f"?arch={debarch or ('all' if 'cross' in debname else native)}"
                                      "&distro=debian-12"}]})
            if rel == "BUILD_TOOL_OF":
                doc["relationships"].append({"spdxElementId": pid, "relationshipType": rel,
                                             "relatedSpdxElement": fid})
            else:
                doc["relationships"].append({"spdxElementId": fid, "relationshipType": rel,
                                             "relatedSpdxElement": pid})
    json.dump(doc, sys.stdout, indent=1)
    print()


main()
