#!/usr/bin/env python3
"""Plots whole-environment status time against N and against the file count.

    plot_scaling.py RESULTS.json [-o scaling.png]

RESULTS.json is Google Benchmark JSON from bench_status (run_all.sh writes
benchmarks/results/bench_status.json). It reads the BM_Scaling111_* rows: the
paired medians `ms` (status) and `floor_ms` (the I/O floor of the same run),
and the world's counters (`files` = sources + .ji + .so, `packages`,
`req_refs` = required-module references, i.e. dependency edges counted
transitively).

It prints a table and the R^2 of a least-squares line through the origin-free
fit time = a + b * x, for x = files and x = required-module references, and
writes a two-panel PNG. Needs matplotlib (Debian: apt-get install
python3-matplotlib); it is not a CI dependency.
"""
import argparse
import json
import re
import sys


def linear_fit(xs, ys):
    """Least squares y = a + b x; returns (a, b, r2)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx if sxx else 0.0
    a = my - b * mx
    ss_res = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys))
    ss_tot = sum((y - my) ** 2 for y in ys)
    r2 = 1.0 - ss_res / ss_tot if ss_tot else 1.0
    return a, b, r2


def load(path):
    with open(path) as f:
        data = json.load(f)
    series = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        m = re.match(r"BM_Scaling111_(\w+)/(\d+)", b["name"])
        if not m or "ms" not in b:
            continue
        series.setdefault(m.group(1), []).append(b)
    for rows in series.values():
        rows.sort(key=lambda r: r["packages"])
    return data.get("context", {}), series


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("-o", "--output", default="scaling.png")
    args = ap.parse_args()
    context, series = load(args.results)
    if not series:
        sys.exit("no BM_Scaling111_* rows in " + args.results)

    print("| run | N | files | req. refs | status ms | floor ms | status/floor |")
    print("|---|---|---|---|---|---|---|")
    fits = {}
    for kind, rows in sorted(series.items()):
        for r in rows:
            print("| %s | %d | %d | %d | %.1f | %.1f | %.1f |" % (
                kind, r["packages"], r["files"], r["req_refs"], r["ms"], r["floor_ms"],
                r["ms"] / r["floor_ms"] if r["floor_ms"] else float("nan")))
        files = [r["files"] for r in rows]
        refs = [r["req_refs"] for r in rows]
        ms = [r["ms"] for r in rows]
        floor = [r["floor_ms"] for r in rows]
        fits[kind] = {
            "files": linear_fit(files, ms),
            "refs": linear_fit(refs, ms),
            "floor_files": linear_fit(files, floor),
        }
    print()
    print("| run | R^2 vs files | R^2 vs required-module refs | floor R^2 vs files | ms per 1000 files |")
    print("|---|---|---|---|---|")
    for kind, f in sorted(fits.items()):
        print("| %s | %.4f | %.4f | %.4f | %.2f |" % (
            kind, f["files"][2], f["refs"][2], f["floor_files"][2], f["files"][1] * 1000))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is missing (apt-get install python3-matplotlib); the tables above "
                 "are complete, only the PNG was not written")

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(17, 4.8))
    colors = {"Warm": "tab:blue", "ColdIsh": "tab:red"}
    for kind, rows in sorted(series.items()):
        c = colors.get(kind, "tab:gray")
        n = [r["packages"] for r in rows]
        files = [r["files"] for r in rows]
        ms = [r["ms"] for r in rows]
        floor = [r["floor_ms"] for r in rows]
        ax1.plot(n, ms, "o-", color=c, label="status, %s" % kind)
        ax1.plot(n, floor, "s--", color=c, alpha=0.5, label="I/O floor, %s" % kind)
        a, b, r2 = fits[kind]["files"]
        ax2.plot(files, ms, "o", color=c, label="status, %s" % kind)
        lo, hi = min(files), max(files)
        ax2.plot([lo, hi], [a + b * lo, a + b * hi], "-", color=c, alpha=0.6,
                 label="linear fit, R\u00b2 = %.3f" % r2)
        ax2.plot(files, floor, "s--", color=c, alpha=0.5, label="I/O floor, %s" % kind)
        ax3.plot(n, [m / f if f else float("nan") for m, f in zip(ms, floor)], "o-", color=c,
                 label="status / floor, %s" % kind)
    ax3.axhline(1.3, color="tab:green", linestyle=":", label="target for warm: 1.3")
    ax3.set_yscale("log")
    ax3.set_xlabel("packages (N)")
    ax3.set_ylabel("status time / I/O floor time (log)")
    ax3.set_title("distance from the I/O floor")
    ax3.grid(True, alpha=0.3, which="both")
    ax3.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.set_ylabel("time per whole-environment status (ms, median)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    ax1.set_xlabel("packages (N)")
    ax1.set_title("status time vs N (1.11 layout)")
    ax2.set_xlabel("files (sources + .ji + .so)")
    ax2.set_title("status time vs file count")
    cpu = context.get("num_cpus", "?")
    fig.suptitle("jlcache status scaling (%s CPUs, %s)" % (cpu, context.get("date", "")), fontsize=10)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print("\nwrote " + args.output)


if __name__ == "__main__":
    main()
