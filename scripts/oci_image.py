"""Writes the multi-architecture image as an OCI image layout in a tar
(an "oci-archive": index.json, oci-layout, blobs/sha256/...): one image
per architecture whose dist/ARCH/rootfs/ exists (scripts/build-static.sh
--arch all), under one image index. It needs no daemon, builder or
registry; skopeo copies it to a registry (scripts/publish.sh) or into a
local daemon.

Each image is one layer, the rootfs, with the configuration of
Dockerfile.prebuilt (ENV, EXPOSE, USER, HEALTHCHECK, ENTRYPOINT, the only
instructions it has after its COPY: anything else is refused rather than
left out). Files are written in sorted order with zero times and owners,
so the same binaries give the same digests.

Usage: python3 scripts/oci_image.py OUT.tar TAG
"""

import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def arch_platforms():
    out = subprocess.run(
        ["bash", "-c", '. scripts/arches.sh; for a in $DOCKGATE_ARCHES; do arch_info $a; '
         'echo "$a $ARCH_PLATFORM"; done'],
        cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()]


def duration_ns(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    if not m:
        sys.exit(f"oci_image: duration '{text}' is not NNs/ms/m/h")
    return int(m.group(1)) * {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}[m.group(2)]


def image_config():
    """Dockerfile.prebuilt's instructions after COPY, as a config's "config"."""
    text = (REPO / "Dockerfile.prebuilt").read_text()
    lines = re.sub(r"\\\n", " ", text).splitlines()
    # Docker's builders (legacy and BuildKit) start a Linux image's
    # environment with this PATH; the index's images match theirs.
    cfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    started = False
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word in ("FROM", "COPY"):
            started = word == "COPY"
            continue
        if not started:
            continue
        if word == "ENV":
            cfg["Env"] += rest.split()
        elif word == "EXPOSE":
            cfg["ExposedPorts"] = {p if "/" in p else p + "/tcp": {} for p in rest.split()}
        elif word == "USER":
            cfg["User"] = rest.strip()
        elif word == "ENTRYPOINT":
            cfg["Entrypoint"] = json.loads(rest)
        elif word == "HEALTHCHECK":
            opts, _, cmd = rest.partition(" CMD ")
            hc = {"Test": ["CMD"] + json.loads(cmd)}
            for opt in opts.split():
                key, _, value = opt.lstrip("-").partition("=")
                field = {"interval": "Interval", "timeout": "Timeout",
                         "start-period": "StartPeriod", "retries": "Retries"}[key]
                hc[field] = int(value) if key == "retries" else duration_ns(value)
            cfg["Healthcheck"] = hc
        else:
            sys.exit(f"oci_image: Dockerfile.prebuilt has {word}, which this script "
                     "does not know: teach it, or the image would lose it")
    return cfg


def layer(rootfs):
    """(gzip blob, diff id): the rootfs as a tar, sorted, zero times and ids."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(rootfs.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(rootfs)))
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    data = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(data)
    return gz.getvalue(), "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    out, tag = Path(sys.argv[1]), sys.argv[2]
    blobs = {}

    def blob(data, media_type, **extra):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    config = image_config()
    manifests = []
    for arch, platform in arch_platforms():
        rootfs = REPO / "dist" / arch / "rootfs"
        if not (rootfs / "dockgate").is_file():
            continue
        os_, cpu, *variant = platform.split("/")
        plat = {"architecture": cpu, "os": os_, **({"variant": variant[0]} if variant else {})}
        gz, diff_id = layer(rootfs)
        cfg = json.dumps({**plat, "config": config,
                          "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                          "history": [{"created_by": "scripts/oci_image.py"}]},
                         sort_keys=True).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": blob(cfg, "application/vnd.oci.image.config.v1+json"),
            "layers": [blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip")]},
            sort_keys=True).encode()
        manifests.append(blob(manifest, "application/vnd.oci.image.manifest.v1+json",
                              platform=plat))
    if not manifests:
        sys.exit("oci_image: no dist/ARCH/rootfs: run scripts/build-static.sh --arch all")
    # The image index is a blob; the layout's own index.json names it
    # (under the tag TAG), as a builder's OCI export does, so that tools
    # see one multi-architecture image.
    index = blob(json.dumps({"schemaVersion": 2,
                             "mediaType": "application/vnd.oci.image.index.v1+json",
                             "manifests": manifests}, sort_keys=True).encode(),
                 "application/vnd.oci.image.index.v1+json",
                 annotations={"org.opencontainers.image.ref.name": tag})
    layout_index = {"schemaVersion": 2, "manifests": [index]}
    with tarfile.open(out, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(layout_index, sort_keys=True).encode())
        for digest, data in sorted(blobs.items()):
            add("blobs/sha256/" + digest.split(":")[1], data)
    print(f"index {index['digest']}")
    for m in manifests:
        p = m["platform"]
        print(f"{p['os']}/{p['architecture']}{'/' + p['variant'] if 'variant' in p else ''}"
              f" {m['digest']}")


main()
