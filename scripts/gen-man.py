#!/usr/bin/env python3
"""Writes the man page dockgate(8) from `dockgate --help`, so the two never
disagree: every setting, its flag, its meaning and its default come from
the binary's settings table; the rest of the page is written here.

    scripts/gen-man.py [BINARY] [OUTPUT]
        BINARY  default build/dockgate (any build prints the same --help)
        OUTPUT  default packaging/dockgate.8; '-' for stdout

tests/ship/test_manpage.py regenerates the page and fails when the
committed one differs: after changing a setting, run this and commit both.
"""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# One row of the settings table: "  --flag   VAR   help (default: X)".
ROW = re.compile(r"^  (--[a-z0-9-]+)\s+([A-Z][A-Z0-9_]*)\s+(.*?)(?: \(default: (.*)\))?$")
# A flag without a variable, whose help may continue on indented lines.
FLAG = re.compile(r"^  (--[a-z-]+)\s+(\S.*)$")


def parse_help(text):
    """(intro lines, settings, sections, libpod switches, flags) from --help;
    fails loudly on a line it does not understand, so a new layout cannot
    be dropped."""
    intro, settings, sections, libpod, flags = [], [], [], [], []
    part = "intro"
    for line in text.splitlines():
        if line.startswith("API sections"):
            part = "sections"
            continue
        if line.startswith("Podman's API"):
            part = "libpod-intro"
            continue
        if part == "libpod-intro" and line.strip() and not line.startswith("  "):
            continue  # the header's own lines, said again in the page
        m = ROW.match(line)
        if m and part in ("libpod-intro", "libpod"):
            libpod.append(m.groups()[:3])
            part = "libpod"
            continue
        if m:
            (sections if part == "sections" else settings).append(m.groups())
            part = "sections" if part == "sections" else "settings"
            continue
        m = FLAG.match(line)
        if m:
            flags.append([m.group(1), m.group(2)])
            part = "flags"
            continue
        if part == "flags" and line.startswith(" " * 10) and line.strip():
            flags[-1][1] += " " + line.strip()
        elif part == "intro" and not line.startswith("Usage:"):
            intro.append(line)
        elif line.strip() and not line.startswith("Usage:"):
            raise SystemExit(f"gen-man: cannot place this --help line: {line!r}")
    if not settings or not sections or not libpod or not flags:
        raise SystemExit("gen-man: --help has no settings table")
    return intro, settings, sections, libpod, flags


def esc(text):
    """roff-safe text: backslashes, leading dots and quotes, hyphens of flags."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text[:1] in (".", "'"):
        text = "\\&" + text
    return text


def setting_item(flag, var, help_text, default):
    out = [".TP", f"\\fB{esc(flag)}\\fR=\\fIvalue\\fR, \\fB{var}\\fR=\\fIvalue\\fR"]
    body = esc(help_text)
    if default is not None:
        body += f" (default: \\fB{esc(default)}\\fR)"
    out.append(body)
    return out


def render(version, settings, sections, libpod, flags):
    L = [f'.TH DOCKGATE 8 "" "dockgate {esc(version)}" "System Manager\'s Manual"',
         ".SH NAME",
         "dockgate \\- a strict security proxy for the Docker Engine API socket",
         ".SH SYNOPSIS",
         ".B dockgate",
         "[\\fB\\-\\-\\fISETTING\\fB=\\fIVALUE\\fR]...",
         ".br",
         ".br",
         ".B dockgate check",
         "[\\fB\\-\\-\\fISETTING\\fB=\\fIVALUE\\fR]...",
         ".br",
         ".B dockgate \\-\\-healthcheck",
         ".SH DESCRIPTION",
         "Giving a service the Docker socket gives it root on the host.",
         ".B dockgate",
         "sits in front of that socket and lets through only the API sections a",
         "service needs; every other request is answered with",
         ".B 403 Forbidden",
         "and never reaches the daemon.",
         "It is a drop\\-in replacement for Tecnativa's docker\\-socket\\-proxy:",
         "the same environment variables, the same defaults.",
         ".PP",
         "Every request head is parsed strictly (RFC 9112); anything malformed or",
         "ambiguous gets a 4xx answer and a close, never a forwarded guess.",
         "dockgate opens its listeners, switches user if told to, then confines",
         "itself with no\\-new\\-privileges, Landlock and a seccomp allowlist.",
         ".PP",
         ".B dockgate check",
         "reads the same environment and flags, validates them as a start",
         "would, and prints, per profile, every operation they allow (grouped",
         "by section, with method, path template, the setting that allows it",
         "and any condition on the query or body), then a warning for each",
         "grant that is root\\-equivalent or hands data out, naming the setting",
         "that closes it.",
         "It opens no socket and never asks the daemon.",
         "The startup log gives the same summary, one line per profile.",
         ".SH OPTIONS",
         "Every setting is an environment variable and a flag of the same name",
         "(\\fBSOCKET_PATH\\fR is \\fB\\-\\-socket\\-path\\fR); flags win over the",
         "environment.",
         "Booleans accept 1/0, true/false, yes/no and on/off in any case; any",
         "other value stops startup with exit status 2 and a message naming the",
         "setting and the accepted values.",
         ]
    for row in settings:
        L += setting_item(*row)
    L += [".SS Flags without a setting"]
    for flag, text in flags:
        L += [".TP", f"\\fB{esc(flag)}\\fR", esc(text)]
    L += [".SH SECTIONS",
          "A section is the first path segment after the optional",
          "\\fB/v\\fIX\\fB.\\fIY\\fR version prefix: \\fBCONTAINERS\\fR covers",
          "\\fB/containers/...\\fR and \\fB/v1.41/containers/...\\fR.",
          "Requests that match no section are denied, and so is",
          "\\fB/debug/...\\fR whatever is set.",
          "Unless \\fBPOST\\fR is true only GET and HEAD pass.",
          "Each section is allowed when its setting is true:"]
    for flag, var, help_text, default in sections:
        L += [".TP", f"\\fB{var}\\fR, \\fB{esc(flag)}\\fR",
              f"{esc(help_text)} (default: \\fB{esc(default)}\\fR)"]
    L += [".SS Podman's API",
          "linuxserver/docker\\-socket\\-proxy's switches, each false by default",
          "and each independent of \\fBLIBPOD\\fR and of the Docker settings.",
          "A section opens \\fB/libpod/\\fISECTION\\fB/...\\fR with the method",
          "rule of \\fBPOST\\fR and every deny rule of the Docker section (gates,",
          "attach/ws and healthcheck without \\fBPOST\\fR, exec closure,",
          "showsecret, volume export); a grant is the lifecycle switch it names",
          "on \\fB/libpod/containers\\fR or \\fB/libpod/pods\\fR alone.",
          "Setting any of them, even to 0, closes every gate not opened.",
          "The startup log warns of those that are root\\-equivalent."]
    for flag, var, help_text in libpod:
        L += [".TP", f"\\fB{var}\\fR, \\fB{esc(flag)}\\fR", esc(help_text)]
    L += [".SH EXIT STATUS",
          ".TP", ".B 0", "stopped cleanly after SIGTERM or SIGINT;",
          "with \\fB\\-\\-healthcheck\\fR: the proxy answered (200, or 403 with",
          "\\fBPING\\fR=0).",
          ".TP", ".B 1",
          "the host refused something at startup (a listener could not be opened,",
          "the user could not be switched);",
          "with \\fB\\-\\-healthcheck\\fR: no answer, or the daemon is unreachable",
          "(502).",
          ".TP", ".B 2",
          "an invalid setting, or \\fBREFUSE_ROOT\\fR would run as root;",
          "\\fBdockgate check\\fR exits 0 when the settings are valid and 2,",
          "with the message a start would give, when they are not.",
          ".TP", ".B 70",
          "a system call outside the seccomp allowlist was made; the log line",
          "names it.",
          ".SH SIGNALS",
          ".TP", "\\fBSIGTERM\\fR, \\fBSIGINT\\fR",
          "stop accepting, let requests in flight finish (\\fBSHUTDOWN_TIMEOUT\\fR),",
          "then exit; a second one stops at once.",
          ".TP", ".B SIGHUP",
          "read \\fBPOLICY_FILE\\fR again: new requests, on open connections too,",
          "are judged by it; open streams and tunnels stay open; a file with an",
          "error is logged and the policy in force stays. The environment is",
          "read only at startup.",
          ".TP", "\\fBSIGUSR1\\fR, \\fBSIGUSR2\\fR, \\fBSIGALRM\\fR",
          "logged and ignored.",
          ".SH ENVIRONMENT",
          "The settings above; nothing else is read from the environment.",
          ".SH FILES",
          ".TP", ".I /var/run/docker.sock",
          "the daemon's socket, the default \\fBSOCKET_PATH\\fR.",
          ".TP", ".I /etc/dockgate.env",
          "settings for",
          ".BR dockgate.service ,",
          "one \\fIVAR\\fR=\\fIvalue\\fR per line",
          "(in the system configuration directory of the install prefix).",
          ".TP", ".I /run/dockgate/docker.sock",
          "the unix listener of the service, in its RuntimeDirectory.",
          ".TP", '.IR /etc/passwd " and " /etc/group',
          "read only to resolve names given to \\fBRUN_USER\\fR, \\fBRUN_GROUP\\fR,",
          "\\fBLISTEN_OWNER\\fR and \\fBLISTEN_GROUP\\fR.",
          ".SH EXAMPLES",
          "Traefik's docker provider through a unix socket, as an unprivileged user",
          "in the daemon socket's group:",
          ".PP", ".RS 4", ".EX",
          "LISTEN=unix:///run/dockgate/docker.sock CONTAINERS=1 \\e",
          "RUN_USER=nobody RUN_GROUP=docker REFUSE_ROOT=1 dockgate",
          ".EE", ".RE",
          ".PP",
          "As docker\\-socket\\-proxy is deployed, a container on a private",
          "network:",
          ".PP", ".RS 4", ".EX",
          "docker run \\-d \\-\\-read\\-only \\-\\-cap\\-drop ALL \\e",
          "  \\-\\-group\\-add \"$(stat \\-c %g /var/run/docker.sock)\" \\e",
          "  \\-v /var/run/docker.sock:/var/run/docker.sock:ro \\e",
          "  \\-e CONTAINERS=1 \\-\\-network proxy dockgate",
          ".EE", ".RE",
          ".PP",
          "A client denied a request sees the reason (here with",
          "\\fBCONTAINERS\\fR=1 and \\fBPOST\\fR=0):",
          ".PP", ".RS 4", ".EX",
          "$ docker \\-H tcp://127.0.0.1:2375 run busybox",
          "Error response from daemon: dockgate: POST /v1.41/containers/create",
          "is denied (set POST=1)",
          ".EE", ".RE",
          ".SH SEE ALSO",
          ".BR dockerd (8),",
          ".BR systemd.exec (5),",
          ".BR seccomp (2),",
          ".BR landlock (7)",
          ]
    return "\n".join(L) + "\n"


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "build" / "dockgate")
    output = sys.argv[2] if len(sys.argv) > 2 else str(REPO / "packaging" / "dockgate.8")
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True,
                               check=True, env={}).stdout
    version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             check=True, env={}).stdout.split()[1]
    _, settings, sections, libpod, flags = parse_help(help_text)
    page = render(version, settings, sections, libpod, flags)
    if output == "-":
        sys.stdout.write(page)
    else:
        Path(output).write_text(page)


if __name__ == "__main__":
    main()
