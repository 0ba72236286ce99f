"""dockgate side by side with HAProxy and with no proxy at all.

The helpers the test suites have too (child processes, free ports,
readiness waits, the raw HTTP/1.1 reader, /proc figures, the private
dockerd) are theirs: tests/dockgate_testlib, which bench/run puts on the
import path.

The modules, one concern each (bench/run is the entry point):
  settings   modes, subjects, the policy, the request paths
  session    one run's state, its log line and its courtesy to test runs
  crowd      the benchmark's GET; many client sockets at once: idle crowds
             and concurrent GETs
  prepare    Debian packages, the dockgate binary, the open-file limit
  subjects   the baseline nginx, HAProxy and dockgate, started and ready
  wrk        wrk runs, their parsing and the throughput phase
  download   the 1 GiB download phase
  callgrind  user-space instructions per request
  connopts   the 62 KB head of Connection options
  memory     RSS per connection and per /events stream, sockets left
             (and the settling of a socket count)
  realdaemon the private dockerd's images, latency and docker save
  report     figures, their summary, the table and the JSON
  main       options and the order of the phases
"""
