#!/usr/bin/env python3
"""Writes the lists of allowed system calls in SECURITY.md from
src/syscalls.def, the list the seccomp filters are built from.

    scripts/gen-security.py           rewrite the lists in SECURITY.md
    scripts/gen-security.py --check   exit 1, saying what differs, when
                                      SECURITY.md does not say what
                                      syscalls.def does (run by meson test)

Each list sits between <!--syscalls:KEY--> and <!--/syscalls:KEY--> in
SECURITY.md (KEY is proxy or janitor): HTML comments, which Markdown does
not show. Only the paragraph holding a list is rewrapped.
"""

import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEF = ROOT / "src" / "syscalls.def"
DOC = ROOT / "SECURITY.md"
WIDTH = 76
ITEM = re.compile(r"[ \t]*(?:\d+\.|[-*])[ \t]+")

CALL = re.compile(r"SANDBOX_(PROXY|JANITOR)_CALL(_IF)?\s*\(\s*(\w+)\s*"
                  r"(?:,[^\"]*\"((?:[^\"\\]|\\.)*)\"\s*)?\)", re.S)


def _code(path):
    """The C text of path without comments and preprocessor lines (the
    macro definitions and their guards)."""
    text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    out, continued = [], False
    for line in text.split("\n"):
        if continued or line.lstrip().startswith("#"):
            continued = line.rstrip().endswith("\\")
            continue
        out.append(line)
    return "\n".join(out)


def read_calls(path=DEF):
    """{"proxy": [(name, limit)], "janitor": [(name, None)]} in the file's
    order; limit is None for a call allowed with any arguments."""
    calls = {"proxy": [], "janitor": []}
    code = _code(path)
    for m in CALL.finditer(code):
        who, cond, name, limit = m.group(1).lower(), m.group(2), m.group(3), m.group(4)
        if cond and limit is None:
            raise SystemExit(f"{path}: {name}: a conditional call needs its limit string")
        if cond and who == "janitor":
            raise SystemExit(f"{path}: {name}: the janitor's calls take no condition")
        calls[who].append((name, limit if cond else None))
    leftover = CALL.sub("", code)
    if re.search(r"\w", leftover):
        raise SystemExit(f"{path}: cannot read {leftover.split()[0]!r}")
    return calls


def distinct_names(calls):
    """The names in calls, each once, in order: what the filter allows."""
    return list(dict.fromkeys(name for name, _ in calls))


def _and(parts):
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def list_text(calls):
    """How SECURITY.md says a list: the calls allowed with any arguments in
    one code span, then the conditional ones by their limits; consecutive
    calls with the same limit share it ("`mmap`/`mprotect` never
    executable")."""
    plain = [name for name, limit in calls if limit is None]
    groups = []
    for name, limit in calls:
        if limit is None:
            continue
        if groups and groups[-1][0] == limit:
            if name not in groups[-1][1]:
                groups[-1][1].append(name)
        else:
            groups.append((limit, [name]))
    text = "`" + " ".join(plain) + "`"
    if groups:
        text += ", plus " + _and(["/".join(f"`{n}`" for n in names) + " " + limit
                                  for limit, names in groups])
    return text


def _markers(key):
    return f"<!--syscalls:{key}-->", f"<!--/syscalls:{key}-->"


def documented(doc, key):
    """The text between key's markers in doc, whitespace collapsed."""
    start, end = _markers(key)
    m = re.search(re.escape(start) + r"(.*?)" + re.escape(end), doc, re.S)
    if m is None:
        raise SystemExit(f"{DOC}: no {start} ... {end}")
    return " ".join(m.group(1).split())


def replaced(doc, key, text):
    """doc with key's list replaced by text, its lines rewrapped."""
    start, end = _markers(key)
    lines = doc.split("\n")
    first = next(i for i, line in enumerate(lines) if start in line)
    last = next(i for i in range(first, len(lines)) if end in lines[i])
    # The rest of the paragraph (up to a blank line or the next list
    # item) is rewrapped too, so that no stub of a line is left.
    while (last + 1 < len(lines) and lines[last + 1].strip()
           and not ITEM.match(lines[last + 1])):
        last += 1
    before = lines[first][:lines[first].index(start)]
    lead = re.match(r"[ \t]*", before).group(0)
    item = ITEM.match(lines[first])
    indent = " " * len(item.group(0)) if item else lead
    old = " ".join(line.strip() for line in lines[first:last + 1])
    para = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: start + text + end,
                  old, flags=re.S)
    wrapped = textwrap.wrap(para, width=WIDTH, initial_indent=lead, subsequent_indent=indent,
                            break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines[:first] + wrapped + lines[last + 1:])


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    calls = read_calls()
    doc = DOC.read_text()
    stale = [key for key in calls if documented(doc, key) != list_text(calls[key])]
    if check:
        for key in stale:
            print(f"SECURITY.md's {key} system calls differ from src/syscalls.def:\n"
                  f"  SECURITY.md: {documented(doc, key)}\n"
                  f"  syscalls.def: {list_text(calls[key])}\n"
                  f"run scripts/gen-security.py to write them", file=sys.stderr)
        return 1 if stale else 0
    for key in stale:
        doc = replaced(doc, key, list_text(calls[key]))
    if stale:
        DOC.write_text(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
