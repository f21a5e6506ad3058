#!/usr/bin/env python3
"""Runs the kernel bench and prints a Markdown table of medians.

usage: bench_table.py BENCH_BINARY [OUT_DIR]

Each kernel runs at every SIMD level the host supports next to a memcpy of
the same bytes; the table gives the median CPU time per call (n = 4096
frames) over 5 repetitions, throughput, and the ratio to memcpy. The raw
google-benchmark JSON and the table are written to OUT_DIR (default: the
binary's folder).
"""
import datetime
import json
import os
import platform
import subprocess
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(binary)
    raw = subprocess.run(
        [binary, "--benchmark_format=json", "--benchmark_repetitions=5",
         "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.1"],
        check=True, capture_output=True, text=True).stdout
    data = json.loads(raw)
    medians = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        kernel, variant = b["run_name"].split("/", 1)
        medians.setdefault(kernel, {})[variant] = b
    levels = []
    for variants in medians.values():
        for v in variants:
            if v != "memcpy" and v not in levels:
                levels.append(v)
    order = ["scalar", "sse2", "avx2", "neon"]
    levels.sort(key=lambda v: order.index(v) if v in order else len(order))

    def cell(b, ref):
        ns = b["cpu_time"]
        gbs = b.get("bytes_per_second", 0) / 1e9
        ratio = f", {ns / ref:.1f}x memcpy" if ref else ""
        return f"{ns:,.0f} ns ({gbs:.1f} GB/s{ratio})"

    lines = []
    when = datetime.date.today().isoformat()
    lines.append(f"Kernel throughput, median CPU time per call of 4096 frames over 5 runs; "
                 f"measured {when} on {cpu_model()} ({os.cpu_count()} cores, shared machine), "
                 f"`make bench`.")
    lines.append("")
    lines.append("| kernel | memcpy of same bytes | " + " | ".join(levels) + " |")
    lines.append("|---|---|" + "---|" * len(levels))
    for kernel in medians:
        v = medians[kernel]
        ref = v["memcpy"]["cpu_time"] if "memcpy" in v else None
        row = [kernel, cell(v["memcpy"], None) if "memcpy" in v else "-"]
        row += [cell(v[l], ref) if l in v else "-" for l in levels]
        lines.append("| " + " | ".join(row) + " |")
    table = "\n".join(lines)
    print(table)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "kernels.json"), "w") as f:
        f.write(raw)
    with open(os.path.join(out_dir, "kernels.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
