#!/usr/bin/python3
"""Pipeline memory and throughput: a long conversion and batch scaling.

usage: bench_pipeline.py SEGUE [OUT_DIR]

(1) Long input, bounded memory. A 2-hour stereo 44.1 kHz 16-bit FLAC is
    generated at bench time (sox synth piped straight into flac: a -30 dBFS
    two-tone signal, which FLAC packs small, so no 1.2 GB WAV ever exists),
    then converted to MP3 once: `segue convert big.flac out.mp3` (LAME V2;
    one conversion of 2 hours is several minutes of CPU, and a second
    profile would show the same bounded memory at twice the cost). Its
    peak RSS (the child's own ru_maxrss from wait4), CPU time (user + sys) and speed (seconds of
    audio per CPU second, "x realtime") are reported; the peak RSS is
    held against the 16 MB streaming budget (PASS/FAIL in the table: a
    report, not a test assertion).
(2) Batch scaling. `segue batch SRC DST --profile psp-mp3` over 4 x 30 s
    FLAC files with -j 1 and -j 2, alternating, 3 runs each, each run into
    a fresh DST; medians of wall time and of user+sys CPU time.

On these shared 2-core machines wall time is noisy: CPU time is the figure
to compare, wall time shows what -j 2 buys. Results go to OUT_DIR as
pipeline.json and pipeline.md. SEGUE_BENCH_SECONDS overrides the length of
the long input (default 7200) for a quick trial.
"""
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BUDGET_BYTES = 16 * 1024 * 1024
RATE = 44100


def measure(cmd):
    """Runs cmd; returns (exit code, wall s, cpu s, peak RSS bytes, stderr tail)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would fold in
    # every earlier child, e.g. the generator).
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    return (p.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024,
            err.decode("utf-8", "replace").strip()[-300:])


def make_flac(path, seconds):
    """sox synthesises straight into flac through a pipe."""
    # Raw PCM through the pipe: a WAV header written to a pipe cannot carry
    # the length, and flac would warn about it.
    # -D: no dither noise for FLAC to store (2 hours: ~180 MB instead of ~225 MB).
    sox = subprocess.Popen(["sox", "-D", "-n", "-r", str(RATE), "-c", "2", "-b", "16", "-e", "signed",
                            "-t", "raw", "-", "synth", str(seconds), "sine", "440", "sine", "660",
                            "vol", "0.03"], stdout=subprocess.PIPE)
    subprocess.run(["flac", "--silent", "-5", "-f", "--force-raw-format", "--endian=little",
                    "--sign=signed", "--channels=2", "--bps=16", "--sample-rate=%d" % RATE,
                    "-o", path, "-"], stdin=sox.stdout, check=True)
    sox.stdout.close()
    if sox.wait() != 0:
        raise RuntimeError("sox failed")


def long_conversion(segue, work, seconds):
    big = os.path.join(work, "big.flac")
    make_flac(big, seconds)
    rows = []
    for label, extra in (("convert big.flac out.mp3", []),):
        out = os.path.join(work, "out.mp3")
        rc, wall, cpu, rss, err = measure([segue, "convert", big, out] + extra)
        row = {"command": "segue " + label, "exit": rc, "audio_seconds": seconds,
               "input_bytes": os.path.getsize(big), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
               "peak_rss_bytes": rss, "budget_bytes": BUDGET_BYTES}
        if rc == 0:
            row["x_realtime_cpu"] = round(seconds / cpu, 1) if cpu > 0 else None
            row["verdict"] = "PASS" if rss <= BUDGET_BYTES else "FAIL"
            row["output_bytes"] = os.path.getsize(out)
        else:
            row["verdict"] = "not run (exit %d: %s)" % (rc, err)
        if os.path.exists(out):
            os.unlink(out)
        rows.append(row)
    os.unlink(big)
    return rows


def batch_scaling(segue, work, files=4, seconds=30, runs=3):
    src = os.path.join(work, "src")
    os.makedirs(src)
    for i in range(files):
        make_flac(os.path.join(src, "track%02d.flac" % (i + 1)), seconds)
    results = {1: [], 2: []}
    errors = {}
    for r in range(runs):
        for jobs in (1, 2) if r % 2 == 0 else (2, 1):  # alternate the order
            dst = os.path.join(work, "dst")
            shutil.rmtree(dst, ignore_errors=True)
            rc, wall, cpu, rss, err = measure([segue, "batch", src, dst, "--profile", "psp-mp3",
                                               "-j", str(jobs)])
            if rc != 0:
                errors[jobs] = "exit %d: %s" % (rc, err)
                continue
            results[jobs].append({"wall_s": wall, "cpu_s": cpu, "peak_rss_bytes": rss})
    out = {"files": files, "seconds_each": seconds, "runs": runs, "jobs": {}}
    for jobs, samples in results.items():
        if not samples:
            out["jobs"][str(jobs)] = {"error": errors.get(jobs, "no runs")}
            continue
        out["jobs"][str(jobs)] = {
            "median_wall_s": round(statistics.median(s["wall_s"] for s in samples), 2),
            "median_cpu_s": round(statistics.median(s["cpu_s"] for s in samples), 2),
            "max_peak_rss_bytes": max(s["peak_rss_bytes"] for s in samples),
            "runs": len(samples)}
    return out


def markdown(res):
    mib = lambda b: "%.1f MiB" % (b / 1048576.0)
    lines = ["Pipeline memory and throughput (`make bench`, tools/bench_pipeline.py), measured %s on %d CPUs."
             % (res["date"], os.cpu_count() or 0), "",
             "Long input: %.0f s stereo 44.1 kHz FLAC (%.1f MB), generated at bench time."
             % (res["long"][0]["audio_seconds"], res["long"][0]["input_bytes"] / 1e6), "",
             "| command | peak RSS | budget 16 MiB | CPU s | x realtime (CPU) | wall s |",
             "|---|---|---|---|---|---|"]
    for r in res["long"]:
        if r["exit"] == 0:
            lines.append("| `%s` | %s | %s | %.1f | %.1f | %.1f |" % (
                r["command"], mib(r["peak_rss_bytes"]), r["verdict"], r["cpu_s"], r["x_realtime_cpu"],
                r["wall_s"]))
        else:
            lines.append("| `%s` | - | %s | - | - | - |" % (r["command"], r["verdict"]))
    b = res["batch"]
    lines += ["", "Batch: %d x %d s FLAC -> psp-mp3, medians of %d alternating runs."
              % (b["files"], b["seconds_each"], b["runs"]), "",
              "| jobs | wall s | user+sys CPU s | peak RSS |", "|---|---|---|---|"]
    for jobs in ("1", "2"):
        j = b["jobs"][jobs]
        if "error" in j:
            lines.append("| -j %s | not run (%s) | | |" % (jobs, j["error"].replace("|", "/")))
        else:
            lines.append("| -j %s | %.2f | %.2f | %s |" % (jobs, j["median_wall_s"], j["median_cpu_s"],
                                                         mib(j["max_peak_rss_bytes"])))
    j1, j2 = b["jobs"]["1"], b["jobs"]["2"]
    if "error" not in j1 and "error" not in j2:
        lines.append("")
        lines.append("-j 2 speed-up (wall): %.2fx; CPU cost of -j 2 vs -j 1: %+.1f%%." % (
            j1["median_wall_s"] / j2["median_wall_s"], 100.0 * (j2["median_cpu_s"] / j1["median_cpu_s"] - 1)))
    return "\n".join(lines) + "\n"


def main():
    segue = os.path.abspath(sys.argv[1])
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(segue)
    seconds = int(os.environ.get("SEGUE_BENCH_SECONDS", "7200"))
    os.makedirs(out_dir, exist_ok=True)
    # Scratch space beside the results (the build tree), not /tmp, which may be small.
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-", dir=out_dir) as work:
        res = {"date": datetime.date.today().isoformat(), "long": long_conversion(segue, work, seconds),
               "batch": batch_scaling(segue, work)}
    md = markdown(res)
    print(md)
    with open(os.path.join(out_dir, "pipeline.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "pipeline.md"), "w") as f:
        f.write(md)


if __name__ == "__main__":
    main()
