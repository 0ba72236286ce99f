#!/usr/bin/env python3
"""List the routes the Docker daemon registers, per moby release, and check
src/routes_table.c against them.

Reads a git clone of github.com/moby/moby (no work tree needed):

    scripts/moby-routes.py --moby /path/to/moby.git list  [TAG...]
    scripts/moby-routes.py --moby /path/to/moby.git union [TAG...]
    scripts/moby-routes.py --moby /path/to/moby.git check [TAG...]

Without tags it reads DEFAULT_TAGS. With --podman PODMAN.git, "check"
also checks ROUTE_F_LIBPOD against Podman's PODMAN_TAGS.

"list" prints, per tag, the daemon's API version and its routes in
registration order (router list order, then each router's order).
"check" reads src/routes_table.c and reports every route a tag registers
that the table lacks or places outside its version range, every table
entry no tag registers, every operation name that differs from the
newest tag's api/swagger.yaml, and every pair of routes whose relative
order in the table differs from a tag's order while one path could match
both. "union" prints what the table should hold (method, template, first
and last API version, minimum request version, router).
"""
import argparse
import re
import subprocess
import sys

ROUTE_RE = re.compile(
    r'router\.New(Get|Post|Put|Delete|Head|Options)Route\(\s*"([^"]+)"([^\n]*)')
MINVER_RE = re.compile(r'WithMinimumAPIVersion\("([0-9.]+)"\)')
VERSION_RE = re.compile(
    r'(?:DefaultVersion|MaxAPIVersion)\s*(?:string)?\s*=\s*"([0-9.]+)"')
IMPORT_RE = re.compile(r'^\s*(\w+)?\s*"github\.com/docker/docker/([^"]+)"', re.M)
IMPORT29_RE = re.compile(r'^\s*(\w+)?\s*"github\.com/moby/moby/v2/([^"]+)"', re.M)
NEWROUTER_RE = re.compile(r'\b(\w+)\.NewRouter\(')


# The last patch release of each minor release from Docker 1.12 (API 1.24)
# on; several minor releases share an API version, and every API version
# from 1.24 to the newest has at least one. Add each new release here.
DEFAULT_TAGS = [
    "v1.12.6", "v1.13.0", "v1.13.1", "v17.03.2-ce", "v17.04.0-ce",
    "v17.05.0-ce", "v17.06.2-ce", "v17.07.0-ce", "v17.09.1-ce",
    "v17.10.0-ce", "v17.11.0-ce", "v17.12.1-ce", "v18.01.0-ce",
    "v18.02.0-ce", "v18.03.1-ce", "v18.04.0-ce", "v18.05.0-ce",
    "v18.06.3-ce", "v18.09.9", "v19.03.15", "v20.10.27", "v23.0.18",
    "v24.0.9", "v25.0.17", "v26.0.2", "v26.1.5", "v27.0.3", "v27.1.2",
    "v27.2.1", "v27.3.1", "v27.4.1", "v27.5.1", "v28.0.4", "v28.1.1",
    "v28.2.2", "v28.3.3", "v28.4.0", "v28.5.2", "docker-v29.0.4",
    "docker-v29.1.5", "docker-v29.2.1", "docker-v29.3.1", "docker-v29.4.3",
    "docker-v29.5.3", "docker-v29.6.2", "docker-v29.7.2",
]


def git(repo, *args):
    return subprocess.run(["git", "--git-dir", repo] + list(args),
                          check=True, capture_output=True, text=True).stdout


def show(repo, tag, path):
    try:
        return git(repo, "show", f"{tag}:{path}")
    except subprocess.CalledProcessError:
        return None


def api_version(repo, tag):
    for f in ("daemon/config/config.go", "api/common.go"):
        text = show(repo, tag, f)
        if text:
            m = VERSION_RE.search(text)
            if m:
                return m.group(1)
    raise SystemExit(f"{tag}: no API version found")


def router_order(repo, tag):
    """The router packages in the order the daemon registers them."""
    for f in ("daemon/command/daemon.go", "cmd/dockerd/daemon.go"):
        text = show(repo, tag, f)
        if not text:
            continue
        m = re.search(r'func (?:\(opts routerOptions\) )?(?:initRouter|buildRouters|Build)\(.*?\n}\n', text, re.S)
        if not m:
            continue
        imports = {}
        for alias, path in IMPORT_RE.findall(text) + IMPORT29_RE.findall(text):
            imports[alias or path.rsplit("/", 1)[-1]] = path
        body = m.group(0)
        return [imports[a] for a in NEWROUTER_RE.findall(body) if a in imports]
    raise SystemExit(f"{tag}: no router list found")


def package_routes(repo, tag, pkg):
    files = [f for f in git(repo, "ls-tree", "--name-only", f"{tag}:{pkg}").split()
             if f.endswith(".go") and not f.endswith("_test.go")
             and "experimental" not in f]
    routes = []
    for f in sorted(files):
        for meth, path, rest in ROUTE_RE.findall(show(repo, tag, f"{pkg}/{f}")):
            mv = MINVER_RE.search(rest)
            routes.append((meth.upper(), path, mv.group(1) if mv else ""))
    return routes


def legacy_debug_routes(repo, tag):
    """Debug routes that createMux added itself, outside the router list:
    unversioned and for every method ("*"). Before 18.xx they came from
    profiler.go, and only with debug enabled."""
    server = show(repo, tag, "api/server/server.go") or ""
    if "debug.NewRouter()" in server:
        pkg = "api/server/router/debug"
        return [("*", "/debug" + p, mv, "debug(createMux)")
                for _, p, mv in package_routes(repo, tag, pkg)]
    prof = show(repo, tag, "api/server/profiler.go") or ""
    return [("*", "/debug" + p, "", "profiler(debug only)")
            for p in re.findall(r'r\.HandleFunc\("([^"]+)"', prof)]


def tag_routes(repo, tag):
    out = []
    for pkg in router_order(repo, tag):
        prefix = ""
        if pkg.endswith("/debug"):
            prefix = "" if show(repo, tag, "daemon/command/daemon.go") or \
                "/debug/vars" in (show(repo, tag, f"{pkg}/debug.go") or "") else "/debug"
        for meth, path, mv in package_routes(repo, tag, pkg):
            out.append((meth, prefix + path, mv, pkg.rsplit("/", 1)[-1]))
    if not any(r[3] == "debug" for r in out):
        out += legacy_debug_routes(repo, tag)
    return out


def vkey(v):
    return tuple(int(x) for x in v.split("."))


def union(repo, tags):
    """Every route of the tags, with the first and last daemon API version
    registering it, in one order: the newest tag's, with routes that later
    tags dropped put back behind the route they followed. Returns the list
    and the per-tag lists."""
    per_tag = [(tag, api_version(repo, tag), tag_routes(repo, tag)) for tag in tags]
    per_tag.sort(key=lambda t: vkey(t[1]))
    info = {}
    for tag, api, routes in per_tag:
        for meth, path, mv, pkg in routes:
            e = info.setdefault((meth, path), {"since": api, "minreq": "", "pkg": pkg})
            e["until"] = api
            e["minreq"] = mv or e["minreq"]
    newest = per_tag[-1][1]
    merged = [(m, p) for m, p, _, _ in per_tag[-1][2]]
    for tag, api, routes in reversed(per_tag[:-1]):
        keys = [(m, p) for m, p, _, _ in routes]
        for i, k in enumerate(keys):
            if k in merged:
                continue
            at = 0
            for prev in reversed(keys[:i]):
                if prev in merged:
                    at = merged.index(prev) + 1
                    break
            merged.insert(at, k)
    for k, e in info.items():
        if e["until"] == newest:
            e["until"] = ""
    return merged, info, per_tag


def may_overlap(a, b):
    """Whether one path might match both templates: a literal template is
    tried against the other's regular expression; two templates with
    variables are compared by their literal heads and tails, which errs on
    the side of reporting."""
    ra, rb = template_regex(a), template_regex(b)
    if "{" not in a:
        return bool(rb.match(a))
    if "{" not in b:
        return bool(ra.match(b))
    ha, hb = a.split("{", 1)[0], b.split("{", 1)[0]
    ta, tb = a.rsplit("}", 1)[1], b.rsplit("}", 1)[1]
    return (ha.startswith(hb) or hb.startswith(ha)) and \
        (ta.endswith(tb) or tb.endswith(ta))


def template_regex(tpl):
    """The anchored regular expression gorilla/mux builds from a template:
    {x} is [^/]+, {x:re} is re."""
    out, i = "^", 0
    for m in re.finditer(r"\{(\w+)(?::([^}]*))?\}", tpl):
        out += re.escape(tpl[i:m.start()]) + "(" + (m.group(2) or "[^/]+") + ")"
        i = m.end()
    return re.compile(out + re.escape(tpl[i:]) + "$")


def order_conflicts(merged, per_tag):
    """Pairs a tag registers in the other order than the merged list, for
    one method: the resolver is exact for that tag only if no path matches
    both."""
    pos = {k: i for i, k in enumerate(merged)}
    out = set()
    for tag, api, routes in per_tag:
        keys = [(m, p) for m, p, _, _ in routes]
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                same = a[0] == b[0] or "*" in (a[0], b[0])
                if same and pos[a] > pos[b] and may_overlap(a[1], b[1]):
                    out.add((tag, a, b))
    return sorted(out)


ENTRY_RE = re.compile(
    r'\{ ROUTE_(\w+), "([^"]*)", "([^"]*)", "([^"]*)",\s*([^,]+), '
    r'(API\((\d+), (\d+)\)|0), (API\((\d+), (\d+)\)|0), (API\((\d+), (\d+)\)|0) \}')


def table_entries(path):
    """(method, template, operation, flags, since, until, min) per entry of
    src/routes_table.c, in order; versions as "1.24" or ""."""
    text = open(path).read()
    out = []
    for m in ENTRY_RE.finditer(text):
        meth = "*" if m[1] == "ANY" else m[1]
        ver = [f"{m[i]}.{m[i + 1]}" if m[i] else "" for i in (7, 10, 13)]
        out.append((meth, m[2], m[3], m[5], *ver))
    return out


def swagger_operations(repo, tag):
    """{(METHOD, template with {} for every variable): operationId}."""
    import yaml  # python3-yaml, only needed here
    text = show(repo, tag, "api/swagger.yaml")
    ops = {}
    for path, methods in yaml.safe_load(text)["paths"].items():
        for meth, op in methods.items():
            if isinstance(op, dict) and "operationId" in op:
                ops[(meth.upper(), re.sub(r"\{[^}]*\}", "{}", path))] = op["operationId"]
    return ops


PODMAN_TAGS = ["v4.3.1", "v5.8.2"]
PODMAN_RE = re.compile(
    r'\.(?:Handle|HandleFunc)\(\s*(?:VersionedPath\()?\s*"(/libpod/[^"]+)"'
    r'.*?\)\s*\.Methods\(([^)]*)\)', re.S)


def libpod_twins(podman):
    """{(METHOD, Docker template with {} for every variable)} that every
    PODMAN_TAGS release registers under "/libpod" (pkg/api/server/
    register_*.go)."""
    twins = None
    for tag in PODMAN_TAGS:
        found = set()
        for f in git(podman, "ls-tree", "--name-only", f"{tag}:pkg/api/server/").split():
            if not f.startswith("register_") or f.endswith("_test.go"):
                continue
            for path, methods in PODMAN_RE.findall(show(podman, tag, f"pkg/api/server/{f}")):
                for meth in re.findall(r'http\.Method(\w+)', methods):
                    found.add((meth.upper(),
                               re.sub(r"\{[^}]*\}", "{}", path[len("/libpod"):])))
        twins = found if twins is None else twins & found
    return twins


def check(repo, tags, table_path, podman=None):
    """Differences between the table and the tags; returns their count."""
    merged, info, per_tag = union(repo, tags)
    entries = table_entries(table_path)
    problems = []
    keys = [(e[0], e[1]) for e in entries]
    if keys != merged:
        for k in merged:
            if k not in keys:
                problems.append(f"missing from the table: {k[0]} {k[1]}")
        for k in keys:
            if k not in info:
                problems.append(f"registered by no tag: {k[0]} {k[1]}")
        if not problems:
            problems.append("the table's order differs from the merged order")
    ops = swagger_operations(repo, per_tag[-1][0])
    for meth, path, op, flags, since, until, minreq in entries:
        e = info.get((meth, path))
        if e is None:
            continue
        if (since, until, minreq) != (e["since"], e["until"], e["minreq"]):
            problems.append(f"{meth} {path}: versions {since}/{until}/{minreq}, "
                            f"moby {e['since']}/{e['until']}/{e['minreq']}")
        want = ops.get((meth, re.sub(r"\{[^}]*\}", "{}", path)))
        named_here = "ROUTE_F_NAMED_HERE" in flags
        if want is None and not named_here:
            problems.append(f"{meth} {path}: no operationId, not NAMED_HERE")
        if want is not None and (named_here or want != op):
            problems.append(f"{meth} {path}: operation {op}, swagger {want}")
    if podman:
        twins = libpod_twins(podman)
        for meth, path, op, flags, *_ in entries:
            want = (meth, re.sub(r"\{[^}]*\}", "{}", path)) in twins
            if want != ("ROUTE_F_LIBPOD" in flags):
                problems.append(f"{meth} {path}: ROUTE_F_LIBPOD should be {want}")
    for tag, a, b in order_conflicts(merged, per_tag):
        problems.append(f"{tag} registers {a} before {b}, the table the other way")
    for p in problems:
        print(p)
    print(f"{len(entries)} entries, {len(tags)} tags, {len(problems)} differences")
    return len(problems)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moby", required=True)
    ap.add_argument("--table", default="src/routes_table.c")
    ap.add_argument("--podman", help="a containers/podman clone: check ROUTE_F_LIBPOD too")
    ap.add_argument("cmd", choices=("list", "union", "check"))
    ap.add_argument("tags", nargs="*", default=DEFAULT_TAGS)
    a = ap.parse_args()
    if a.cmd == "check":
        sys.exit(1 if check(a.moby, a.tags, a.table, a.podman) else 0)
    if a.cmd == "union":
        merged, info, per_tag = union(a.moby, a.tags)
        for k in merged:
            e = info[k]
            print(f"{k[0]:7} {k[1]:45} {e['since']:5} {e['until']:5} {e['minreq']:5} {e['pkg']}")
        for tag, x, y in order_conflicts(merged, per_tag):
            print(f"# order: {tag} registers {x} before {y}")
        return
    for tag in a.tags:
        print(f"# {tag} API {api_version(a.moby, tag)}")
        for meth, path, mv, pkg in tag_routes(a.moby, tag):
            print(f"{meth:7} {path:45} {mv:5} {pkg}")


if __name__ == "__main__":
    main()
