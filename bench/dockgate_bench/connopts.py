"""The optional phase of a 62 KB head whose Connection line names
thousands of options: dockgate's CPU per request."""

from dockgate_testlib.procs import cpu_seconds
from dockgate_testlib.rawhttp import RawConn

from .subjects import start_subject


def connopts_head(options=True):
    """GET /_ping with 97 short headers and a Connection line of about
    20,400 two-letter options (62 KB, within the default MAX_HEAD_SIZE and
    MAX_HEADERS); options=False: the same size with one long option."""
    lines = [b"GET /_ping HTTP/1.1", b"Host: x"]
    lines += [b"X-H%02d: %d" % (i, i) for i in range(96)]
    names = [bytes((a, b)) for a in range(97, 123) for b in range(97, 123)]
    toks, size = [b"x-h05"], 2000
    while size < 63000:
        toks.append(names[len(toks) % len(names)])
        size += 3
    value = b",".join(toks) if options else b"a" * len(b",".join(toks))
    lines.append(b"Connection: " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def phase_connopts(session, res, upstream):
    """dockgate's own CPU per request for a head whose Connection line names
    thousands of options, against a head of the same size with one: the
    rebuilt head must cost time linear in the head. dockgate only (HAProxy
    and nginx refuse heads this large with their default buffers)."""
    n = 200 if session.args.quick else 1000
    for rep in range(session.mode["repeats"]):
        session.wait_quiet()
        p, port = start_subject(session, "dockgate", upstream, tag="-connopts",
                                access_log=False)
        for options in (True, False):
            req = connopts_head(options)
            c = RawConn.open(("127.0.0.1", port), timeout=60, nodelay=True)
            c0 = cpu_seconds(p.pid)
            for _ in range(n):
                c.send(req)
                st = c.read_response(60, length_required=True).status
                if st != 200:
                    raise RuntimeError(f"dockgate answered {st} to the connopts head")
            cpu = cpu_seconds(p.pid) - c0
            c.close()
            what = ("20,400 Connection options" if options
                    else "one Connection option, same size")
            res.add(f"connopts_{options}", "dockgate", cpu / n * 1000,
                    f"62 KB head, {what}: CPU ms per request (own process)",
                    "ms", "lower", "ms")
        p.stop()
