"""Figures and how they are reported: the runs of each figure per subject,
their summary, the table, the notes and the JSON files."""

import json
import statistics

from .settings import SUBJECTS


def summary(values):
    """median, min, max, n and the runs of one subject's values (None
    values left out); text values (e.g. "equal") are joined instead."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    if any(isinstance(v, str) for v in vals):        # e.g. "equal"
        return {"median": ", ".join(sorted(set(vals))), "min": None,
                "max": None, "n": len(vals), "runs": vals}
    return {"median": statistics.median(vals), "min": min(vals),
            "max": max(vals), "n": len(vals), "runs": vals}


class Results:
    """Figures in table order; each has one series of runs per subject."""

    def __init__(self):
        self.figs = []
        self.byid = {}

    def fig(self, fid, label, unit, better, fmt="num"):
        if fid not in self.byid:
            f = {"id": fid, "label": label, "unit": unit, "better": better,
                 "fmt": fmt, "runs": {s: [] for s in SUBJECTS}, "note": ""}
            self.byid[fid] = f
            self.figs.append(f)
        return self.byid[fid]

    def add(self, fid, subject, value, label=None, unit="", better="higher",
            fmt="num"):
        """One run of figure fid for subject; the first add of a figure
        names it (label, unit, which way is better, number format)."""
        f = self.fig(fid, label or fid, unit, better, fmt)
        f["runs"][subject].append(value)

    def note(self, fid, text):
        if fid in self.byid:
            self.byid[fid]["note"] = text

    def finish(self):
        """The table rows: per figure each subject's summary and the ratios
        of the medians, dockgate / HAProxy and dockgate / baseline."""
        out = []
        for f in self.figs:
            row = {k: f[k] for k in ("id", "label", "unit", "better", "note")}
            for s in SUBJECTS:
                row[s] = summary(f["runs"][s])
            d, h, b = (row[s]["median"] if row[s] else None
                       for s in ("dockgate", "haproxy", "baseline"))
            num = f["fmt"] != "text"
            row["dockgate_vs_haproxy"] = d / h if num and d is not None and h else None
            row["dockgate_vs_baseline"] = d / b if num and d is not None and b else None
            row["fmt"] = f["fmt"]
            out.append(row)
        return out


def note_added_latency(rows):
    """Notes on the real-daemon p50 rows the latency each proxy adds over
    the direct socket."""
    for r in rows:
        if r["id"].startswith("real_") and r["id"].endswith("_p50"):
            b, d, h = (r[s]["median"] if r[s] else None
                       for s in ("baseline", "dockgate", "haproxy"))
            if None not in (b, d, h):
                r["note"] = (f"added over the direct socket: dockgate "
                             f"{d - b:+.3f} ms, HAProxy {h - b:+.3f} ms")


def fmt_num(v, fmt):
    """A number as the table shows it: three significant digits or so,
    thousands separated, 'k' from 100,000; fmt 'text' as it is."""
    if v is None:
        return "—"
    if fmt == "text":
        return str(v)
    a = abs(v)
    if a >= 100000:
        return f"{v / 1000:,.0f}k"
    if a >= 10000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:,.0f}" if fmt != "ms" else f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3f}"


def fmt_cell(s, fmt):
    """A summary as 'median (min–max)', or the median alone."""
    if s is None:
        return "—"
    m = fmt_num(s["median"], fmt)
    if s["n"] > 1 and s["min"] != s["max"]:
        return f"{m} ({fmt_num(s['min'], fmt)}–{fmt_num(s['max'], fmt)})"
    return m


def table(rows):
    """The Markdown table of the rows, then their notes."""
    head = ["figure", "unit", "baseline", "HAProxy", "dockgate",
            "dg/HAProxy", "dg/base"]
    lines = []
    for r in rows:
        ratio = lambda x: "—" if x is None else f"{x:.2f}"
        lines.append([r["label"], r["unit"],
                      fmt_cell(r["baseline"], r["fmt"]),
                      fmt_cell(r["haproxy"], r["fmt"]),
                      fmt_cell(r["dockgate"], r["fmt"]),
                      ratio(r["dockgate_vs_haproxy"]),
                      ratio(r["dockgate_vs_baseline"])])
    w = [max(len(x[i]) for x in lines + [head]) for i in range(len(head))]
    fmt = lambda x: "| " + " | ".join(
        c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(x)) + " |"
    out = [fmt(head), "|" + "|".join(
        "-" * (w[i] + 1) + (":" if i >= 2 else "-") for i in range(len(head))) + "|"]
    out += [fmt(x) for x in lines]
    notes = [f"- {r['label']}: {r['note']}" for r in rows if r["note"]]
    return "\n".join(out) + ("\n\nNotes:\n" + "\n".join(notes) if notes else "")


def breakdown_text(title, by_case, number_format, limit):
    """A title line, then per case its `limit` first (value, name) pairs,
    as printed after the table."""
    out = ["", title]
    for case, pairs in by_case.items():
        out.append(f"  {case}:")
        for v, k in pairs[:limit]:
            out.append(f"    {v:>9{number_format}}  {k}")
    return "\n".join(out)


def hot_functions_text(hot):
    """dockgate's instructions per request by function, as printed after
    the table (the 12 costliest of each case)."""
    return breakdown_text("dockgate: user-space instructions per request by "
                          "function (callgrind, self cost, startup subtracted)",
                          hot, ",.0f", 12)


def syscalls_text(per_call):
    """dockgate's system calls per request by call (all of each case)."""
    return breakdown_text("dockgate: system calls per request by call "
                          "(strace -c, startup subtracted)",
                          per_call, ".2f", len(max(per_call.values(), key=len,
                                                   default=[])))


def write_raw(out, meta, res):
    """OUT.raw.json: every run of every figure, before any summary."""
    out.with_suffix(".raw.json").write_text(json.dumps(
        {"meta": meta, "runs": res.figs}, indent=1, default=str))


def write_final(out, meta, rows, text):
    """OUT (the summarized figures and meta) and OUT.txt (the table)."""
    out.write_text(json.dumps({"meta": meta, "figures": rows}, indent=1))
    (out.with_suffix(".txt")).write_text(text + "\n")
