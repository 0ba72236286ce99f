"""The optional phase of system calls per request, counted by strace -c:
each subject started under strace once with no request and once with N,
the difference divided by N. strace slows the subject down many times, so
only the counts mean anything, never its times."""

from .callgrind import MANY_CONNS
from .settings import PING, SUBJECTS
from .subjects import wrapped_life


def strace_counts(path):
    """{syscall: calls} of an strace -c summary file."""
    counts = {}
    for line in open(path, errors="replace"):
        fields = line.split()
        # "% time  seconds  usecs/call  calls  [errors]  syscall"
        if len(fields) >= 5 and fields[3].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = counts.get(fields[-1], 0) + int(fields[3])
    if not counts:
        raise RuntimeError(f"no syscall counts in {path}")
    return counts


def strace_run(session, kind, upstream, requests, path, conns=1, close=False):
    """{syscall: calls} of one process life (all its threads) under
    strace -f -c: start, one probe connect, `requests` GETs of path on
    `conns` connections (close: a new one per GET), SIGTERM."""
    how = f"{'close' if close else 'ka'}{conns}"
    out = session.work / f"st.{kind}.{how}.{requests}.out"
    wrapper = ["strace", "-f", "-c", "-o", str(out), "--"]
    wrapped_life(session, kind, wrapper, upstream, requests, path, conns,
                 close, what=f"{kind} under strace")
    return strace_counts(out)


def strace_cases():
    """(figure id, label, conns, new connection per request) of each case."""
    cases = []
    for conns, close in ((1, False), (MANY_CONNS, False), (MANY_CONNS, True)):
        how, short = ("new conn", "close") if close else ("keep-alive", "ka")
        cases.append((f"st_/_ping_{short}_{conns}",
                      f"system calls per {how} GET /_ping, {conns} conn "
                      f"(strace)", conns, close))
    return cases


def phase_strace(session, res, upstream):
    """System calls per GET /_ping for every case and subject. Returns
    dockgate's calls per request by system call, per case."""
    n = session.mode["callgrind_requests"]
    per_call = {}
    for fid, label, conns, close in strace_cases():
        for s in SUBJECTS:
            session.wait_quiet()
            base = strace_run(session, s, upstream, 0, PING, conns, close)
            full = strace_run(session, s, upstream, n, PING, conns, close)
            res.add(fid, s, (sum(full.values()) - sum(base.values())) / n,
                    label, "calls", "lower")
            if s == "dockgate":
                per = {k: (v - base.get(k, 0)) / n for k, v in full.items()}
                per_call[label] = sorted(((round(v, 2), k) for k, v in
                                          per.items() if v >= 0.01),
                                         reverse=True)
    return per_call
