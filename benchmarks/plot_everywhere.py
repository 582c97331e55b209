#!/usr/bin/env python3
"""Tables and plots the issue-12 benchmark (everywhere_bench.jl's TSV).

    plot_everywhere.py SAMPLES.tsv [-o everywhere.png]

SAMPLES.tsv has the columns pkg, case, n, key, value_ms (one row per sample).
Prints a Markdown table of medians per package and worker count, with the
ratios issue 12 sets targets for, and writes a PNG with one panel per
package: the wall time of the line against N for single, floor, Distributed
and FastEverywhere. The PNG needs matplotlib (Debian: python3-matplotlib); it
is not a CI dependency, and without it only the table is printed.
"""
import argparse
import csv
import statistics
import sys
from collections import defaultdict

CASES = [("single", "one process"), ("floor", "floor (N+1 at once)"),
         ("dist", "Distributed"), ("fe", "FastEverywhere")]


def load(path):
    samples = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["pkg"], row["case"], int(row["n"]), row["key"])
            samples[key].append(float(row["value_ms"]))
    return samples


def median(samples, pkg, case, n, key="T"):
    # One process's `using` does not depend on N: it is recorded once, as n=0.
    values = samples.get((pkg, case, n, key)) or (samples.get((pkg, case, 0, key))
                                                   if case == "single" else None)
    return statistics.median(values) if values else None


def fmt(x, digits=0):
    return "—" if x is None else f"{x:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(samples):
    pkgs = sorted({k[0] for k in samples}, reverse=True)
    ns = sorted({k[2] for k in samples if k[2] > 0})
    lines = [
        "| package | N | runs | single | floor | Distributed | FastEverywhere | fe ÷ floor "
        "| Distributed ÷ fe | fe_decide | `using FastEverywhere` | no-op Distributed / fe "
        "| stale Distributed / fe | compiles per stale run (dist / fe) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pkg in pkgs:
        for n in ns:
            m = {c: median(samples, pkg, c, n) for c, _ in CASES}
            if m["single"] is None and m["fe"] is None:
                continue
            runs = len(samples.get((pkg, "fe", n, "T"), []))
            comp_d = samples.get((pkg, "dist_stale", n, "COMPILES"), [])
            comp_f = samples.get((pkg, "fe_stale", n, "COMPILES"), [])
            lines.append(
                f"| {pkg} | {n} | {runs} | {fmt(m['single'])} | {fmt(m['floor'])} "
                f"| {fmt(m['dist'])} | {fmt(m['fe'])} | {fmt(ratio(m['fe'], m['floor']), 2)} "
                f"| {fmt(ratio(m['dist'], m['fe']), 2)} "
                f"| {fmt(median(samples, pkg, 'fe', n, 'DECIDE'))} "
                f"| {fmt(median(samples, pkg, 'fe', n, 'USING'))} "
                f"| {fmt(median(samples, pkg, 'dist', n, 'NOOP'), 1)} / "
                f"{fmt(median(samples, pkg, 'fe', n, 'NOOP'), 1)} "
                f"| {fmt(median(samples, pkg, 'dist_stale', n))} / "
                f"{fmt(median(samples, pkg, 'fe_stale', n))} "
                f"| {','.join(str(int(c)) for c in comp_d) or '—'} / "
                f"{','.join(str(int(c)) for c in comp_f) or '—'} |")
    settled = []
    for pkg in pkgs:
        for n in ns:
            d, e = median(samples, pkg, "dist_settled", n), median(samples, pkg, "fe_settled", n)
            if d is None and e is None:
                continue
            f = median(samples, pkg, "floor", n)
            settled.append(
                f"| {pkg} | {n} | {len(samples.get((pkg, 'fe_settled', n, 'T'), []))} | {fmt(f)} | {fmt(d)} "
                f"| {fmt(e)} | {fmt(ratio(e, f), 2)} | {fmt(ratio(d, e), 2)} "
                f"| {fmt(median(samples, pkg, 'fe_settled', n, 'DECIDE'))} "
                f"| {fmt(median(samples, pkg, 'dist_settled', n, 'NOOP'), 1)} / "
                f"{fmt(median(samples, pkg, 'fe_settled', n, 'NOOP'), 1)} |")
    if settled:
        lines += ["", "After a 3 s pause before the line (`dist_settled`, `fe_settled`):", "",
                  "| package | N | runs | floor | Distributed | FastEverywhere | fe ÷ floor "
                  "| Distributed ÷ fe | fe_decide | no-op Distributed / fe |",
                  "|---|---|---|---|---|---|---|---|---|---|"] + settled
    exename = [(pkg, median(samples, pkg, "fe_exename", 1)) for pkg in pkgs]
    if any(v is not None for _, v in exename):
        lines.append("")
        lines.append("FastEverywhere with workers started through an `exename` launcher, N=1: " +
                     ", ".join(f"{p} {fmt(v)} ms" for p, v in exename if v is not None))
    return "\n".join(lines), pkgs, ns


def plot(samples, pkgs, ns, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot written", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, len(pkgs), figsize=(6 * len(pkgs), 4.2))
    if len(pkgs) == 1:
        axes = [axes]
    width = 0.8 / len(CASES)
    for ax, pkg in zip(axes, pkgs):
        for i, (case, label) in enumerate(CASES):
            xs, ys = [], []
            for j, n in enumerate(ns):
                v = median(samples, pkg, case, n)
                if v is not None:
                    xs.append(j + (i - (len(CASES) - 1) / 2) * width)
                    ys.append(v / 1000)
            ax.bar(xs, ys, width, label=label)
        ax.set_xticks(range(len(ns)), [f"N={n}" for n in ns])
        ax.set_ylabel("wall time of the line (s), median")
        ax.set_title(f"{pkg}: @everywhere using, first use in a new julia")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tsv")
    parser.add_argument("-o", "--out", default="")
    args = parser.parse_args()
    samples = load(args.tsv)
    text, pkgs, ns = table(samples)
    print(text)
    if args.out:
        plot(samples, pkgs, ns, args.out)


if __name__ == "__main__":
    main()
