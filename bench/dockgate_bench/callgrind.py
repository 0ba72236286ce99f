"""User-space instructions per request, counted by callgrind: each subject
started under valgrind once with no request and once with N, the
difference divided by N."""

import re
import shutil
import subprocess

from .settings import JSON_PATH, PING, SUBJECTS
from .subjects import wrapped_life

# The connection count of the many-connection cases: wrk's largest, where
# the per-request cost may differ from one connection's (batched events).
MANY_CONNS = 128


def callgrind_total(path):
    """The total Ir of a callgrind output file."""
    for line in open(path, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def callgrind_functions(path):
    """Self Ir per function of a callgrind output file (callgrind_annotate)."""
    r = subprocess.run(["callgrind_annotate", "--inclusive=no",
                        "--threshold=100", str(path)], capture_output=True,
                       text=True)
    funcs = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([\s\d.]+%\)\s+)?(\S.*?)\s*$", line)
        if m and ":" in m.group(2) and "PROGRAM TOTALS" not in line:
            name = re.sub(r"\s+\[.*\]$", "", m.group(2))
            funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(",", ""))
    return funcs


def callgrind_run(session, kind, upstream, requests, path, access_log=None,
                  conns=1, close=False, extra_env=None, tag=""):
    """Ir of one process life under callgrind (subjects.wrapped_life):
    start, one probe connect, `requests` GETs of path on `conns`
    connections (close: a new one per GET), SIGTERM. Returns (total Ir,
    the output file). extra_env: more settings for dockgate; tag: in
    the file name, to tell such a run apart."""
    tag += "log." if access_log else ""
    if conns != 1 or close:
        tag += f"{'close' if close else 'ka'}{conns}."
    out = (session.work / f"cg.{kind}.{tag}{requests}."
           f"{path.strip('/').replace('/', '_')}.out")
    vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
          "--dump-instr=no", "--collect-jumps=no"]
    wrapped_life(session, kind, vg, upstream, requests, path, conns, close,
                 access_log, f"{kind} under callgrind", extra_env)
    return callgrind_total(out), out


def hot_functions(base_out, full_out, n):
    """The 25 functions with the most self Ir per request (at least 1),
    startup subtracted: [(Ir per request, function)], costliest first."""
    f0, f1 = callgrind_functions(base_out), callgrind_functions(full_out)
    per = {k: (v - f0.get(k, 0)) / n for k, v in f1.items()}
    return sorted(((round(v, 1), k) for k, v in per.items() if v >= 1),
                  reverse=True)[:25]


def callgrind_cases():
    """(figure id, label, hot-functions key, profile name, path, conns,
    new connection per request) of every case measured for all subjects."""
    cases = []
    for path, pname in ((PING, "/_ping"), (JSON_PATH, "containers/json")):
        cases.append((f"cg_{pname}", f"user-space instructions per keep-alive "
                      f"GET {pname} (callgrind)", pname, pname.replace("/", ""),
                      path, 1, False))
    for close in (False, True):
        how, short = ("new conn", "close") if close else ("keep-alive", "ka")
        what = f"{how} GET /_ping, {MANY_CONNS} conn"
        cases.append((f"cg_/_ping_{short}_{MANY_CONNS}",
                      f"user-space instructions per {what} (callgrind)", what,
                      f"_ping.{short}{MANY_CONNS}", PING, MANY_CONNS, close))
    return cases


# The policy file of the "1,000 rules" case: one profile, "default", that
# serves every client, made of this many rules.
MANY_RULES = 1000


def many_rules_file(work):
    """Writes a policy file whose default profile has MANY_RULES rules
    (operation names and METHOD + template rules, every route of the
    table named over and over, a deny after every ninth) that allows what
    the bench asks: the per-request cost of a big policy is its lookup,
    not its size. Returns its path."""
    ops = ["SystemPing", "SystemPingHead", "SystemVersion", "ContainerList",
           "ContainerInspect", "ContainerTop", "ImageList", "ImageInspect",
           "NetworkList", "VolumeList", "SystemEvents", "SystemInfo",
           "GET /containers/{id}/json", "GET /images/{name}/json",
           "GET /networks/{id}", "GET /volumes/{name}"]
    denies = ["ContainerArchive", "ContainerExport", "ContainerLogs",
              "ExecStart", "ContainerCreate"]
    allow, deny = [], []
    while len(allow) + len(deny) < MANY_RULES:
        if (len(allow) + len(deny)) % 9 == 8:
            deny.append(denies[len(deny) % len(denies)])
        else:
            allow.append(ops[len(allow) % len(ops)])
    lines = ["version: 1", "profiles:", "  default:", "    allow:"]
    lines += [f"      - {r}" for r in allow]
    lines += ["    deny:"] + [f"      - {r}" for r in deny]
    path = work / "many-rules.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def phase_many_rules(session, res, upstream, n):
    """dockgate's instructions per request with a policy file of
    MANY_RULES rules, next to the same requests under the env policy
    (the cg_ figures of this run), for keep-alive /_ping and
    containers/json."""
    extra = {"POLICY_FILE": str(many_rules_file(session.work))}
    for path, pname in ((PING, "/_ping"), (JSON_PATH, "containers/json")):
        session.wait_quiet()
        base, _ = callgrind_run(session, "dockgate", upstream, 0, path,
                                extra_env=extra, tag="rules.")
        full, _ = callgrind_run(session, "dockgate", upstream, n, path,
                                extra_env=extra, tag="rules.")
        res.add(f"cg_{pname}_rules", "dockgate", (full - base) / n,
                f"user-space instructions per keep-alive GET {pname}, policy "
                f"file of {MANY_RULES:,} rules (callgrind)", "Ir", "lower")


def phase_callgrind(session, res, upstream):
    """Every case for every subject, then dockgate with its access log on
    (in a run without --log). Returns dockgate's hot functions per case
    and keeps its profiles in the results directory."""
    n = session.mode["callgrind_requests"]
    hot = {}
    for fid, label, hot_key, profile, path, conns, close in callgrind_cases():
        for s in SUBJECTS:
            session.wait_quiet()
            base, base_out = callgrind_run(session, s, upstream, 0, path,
                                           conns=conns, close=close)
            full, full_out = callgrind_run(session, s, upstream, n, path,
                                           conns=conns, close=close)
            res.add(fid, s, (full - base) / n, label, "Ir", "lower")
            if s == "dockgate":
                hot[hot_key] = hot_functions(base_out, full_out, n)
                shutil.copy(full_out, session.results /
                            f"callgrind.dockgate.{profile}.out")
    if not session.args.log:
        # What users run: LOG_LEVEL=info, one access line per request (to
        # a file here, as under callgrind the log is not /dev/null).
        session.wait_quiet()
        base, _ = callgrind_run(session, "dockgate", upstream, 0, PING,
                                access_log=True)
        full, _ = callgrind_run(session, "dockgate", upstream, n, PING,
                                access_log=True)
        res.add("cg_/_ping_logged", "dockgate", (full - base) / n,
                "user-space instructions per keep-alive GET /_ping, access log on "
                "(LOG_LEVEL=info) (callgrind)", "Ir", "lower")
    phase_many_rules(session, res, upstream, n)
    return hot
