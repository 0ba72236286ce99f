"""dockgate's Python test library, shared by tests/integ, tests/diff,
tests/podman and tests/ship, and importable by bench/ (no pytest needed
outside `proxy` and `fixtures`).

One module per concern:

    settings   where the binaries are (DOCKGATE_BIN, DOCKER_CLI, ...)
    net        ports and sockets: free_port, connect, wait_for, UnixServer
    rawhttp    raw HTTP/1.1 over a socket: request bytes, RawConn, Response
    procs      ChildProcess (own session, stopped by group), and processes
               seen through /proc: start time, CPU, VmRSS, fds, sockets, ASan
    session    the /tmp/dgt-XXXXXX session directory and its clean-up
    daemon     the private dockerd, the docker CLI, the busybox image
    proxy      starting, talking to and stopping dockgate
    replay     replaying a client's calls through dockgate (Req, replay_allowed,
               replay_denied) and the daemon's state a denial must not change
    clients    what each preset's client calls, a catalogue of forbidden calls,
               and the presets' allow lists as src/presets.c builds them
    fixtures   the pytest fixtures the suites' conftest.py files import

The repository's pytest.ini puts tests/ on the import path, so a test
writes `from dockgate_testlib.rawhttp import http_request`.
"""
