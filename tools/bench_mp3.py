#!/usr/bin/env python3
"""Our MP3 decoder against libmpg123 and libavcodec (mp3float): CPU time
and instructions per second of audio, as a Markdown table and JSON.

usage: bench_mp3.py BENCH_DIR [OUT_DIR] [--repetitions N] [--no-callgrind]

BENCH_DIR is the build's bench/ folder (bench_mp3 and mp3_decode_driver,
built with -DSEGUE_BUILD_BENCH=ON and libmpg123-dev). The test files are
made here: a 30 s clip (the first 30 s of ../shared/corpus/
orchestral_dense.flac when the corpus is there, decoded with ffmpeg; else
the bundled fixtures/demo chord, looped to 30 s), encoded with lame as a
128 kbit/s CBR and a -V 2 VBR file.

Timing: bench_mp3 runs once per SIMD level this host supports (SEGUE_CPU
caps our level per process; the dispatch is fixed at first use). In each
process the three decoders decode the same in-memory bytes to float, their
repetitions randomly interleaved, N each (default 9); the table gives the
median CPU time per second of audio and the ratio to libmpg123's median
from the same process. libavcodec is fed by its own parser (no
libavformat), gives planar float and does not trim encoder delay.

Instructions: mp3_decode_driver decodes each file once under
`valgrind --tool=callgrind --toggle-collect=decode_*`, so only decoding
counts (stream open and close included, process start and file reading
not). Callgrind runs a synthetic CPU: libmpg123 picks its synthesis for
what valgrind reports (named in the table).

The JSON of every run, the table (bench_mp3.md) and the summary rows
(mp3.json, read by tools/bench_report.py) go to OUT_DIR (default
BENCH_DIR/mp3).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_CLIP = os.path.join(ROOT, "..", "shared", "corpus", "orchestral_dense.flac")
FALLBACK_CLIP = os.path.join(ROOT, "fixtures", "demo", "chord_s16_stereo_44k.wav")
LEVELS = ["scalar", "sse2", "avx2", "neon"]
FILES = [("cbr128.mp3", ["-b", "128"], "128 kbit/s CBR"),
         ("v2.mp3", ["-V", "2"], "VBR -V 2")]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def make_files(work):
    """Returns [(path, label)] and a description of the source."""
    wav = os.path.join(work, "clip.wav")
    if os.path.exists(CORPUS_CLIP):
        src = "../shared/corpus/orchestral_dense.flac, first 30 s"
        cmd = ["ffmpeg", "-v", "error", "-y", "-i", CORPUS_CLIP, "-t", "30", "-c:a", "pcm_s16le", wav]
    else:
        src = "fixtures/demo/chord_s16_stereo_44k.wav looped to 30 s (corpus not present)"
        cmd = ["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", FALLBACK_CLIP, "-t", "30",
               "-c:a", "pcm_s16le", wav]
    subprocess.run(cmd, check=True)
    out = []
    for name, opts, label in FILES:
        path = os.path.join(work, name)
        subprocess.run(["lame", "--quiet"] + opts + [wav, path], check=True)
        out.append((path, label))
    return out, src


def run_bench(binary, level, files, reps):
    env = dict(os.environ, SEGUE_CPU=level)
    cmd = [binary, "--benchmark_format=json", "--benchmark_repetitions=%d" % reps,
           "--benchmark_enable_random_interleaving=true", "--benchmark_min_time=0.3"]
    cmd += [p for p, _ in files]
    res = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def medians(data):
    """{(file, who): (median cpu ms, audio_s, label)} from one run; who is
    'segue/<level>' or 'mpg123'."""
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        fname, who = name.split("/", 1)
        assert b["time_unit"] == "ms", b["time_unit"]
        out[(fname, who)] = (b["cpu_time"], b["audio_s"], b.get("label", ""))
    return out


def callgrind(driver, who, path, level):
    env = dict(os.environ)
    if level:
        env["SEGUE_CPU"] = level
    with tempfile.TemporaryDirectory() as tmp:
        outf = os.path.join(tmp, "cg.out")
        res = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outf,
             "--toggle-collect=decode_" + who, driver, who, path],
            env=env, check=True, capture_output=True, text=True)
        total = None
        with open(outf) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = int(line.split()[1])
        m = re.search(r"decoder=(\S+)", res.stdout)
        return total, (m.group(1) if m else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench_dir")
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--repetitions", type=int, default=9)
    ap.add_argument("--no-callgrind", action="store_true")
    args = ap.parse_args()
    if args.repetitions < 7:
        sys.exit("bench_mp3.py: use at least 7 repetitions (medians)")
    bench = os.path.join(args.bench_dir, "bench_mp3")
    driver = os.path.join(args.bench_dir, "mp3_decode_driver")
    out_dir = args.out_dir or os.path.join(args.bench_dir, "mp3")
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="segue-bench-mp3-")
    try:
        files, src = make_files(work)
        # Timing, one process per level the host runs (a capped level that
        # is not available falls back, which the benchmark name shows).
        timing = {}
        levels = []
        for level in LEVELS:
            # A cap the host cannot run falls back to a lower level, which
            # the benchmark names show: list them before timing anything.
            listed = subprocess.run([bench, "--benchmark_list_tests=true"] + [p for p, _ in files],
                                    env=dict(os.environ, SEGUE_CPU=level), check=True,
                                    capture_output=True, text=True).stdout
            if "/segue/%s\n" % level not in listed:
                continue
            data = run_bench(bench, level, files, args.repetitions)
            with open(os.path.join(out_dir, "bench_mp3_%s.json" % level), "w") as f:
                json.dump(data, f, indent=1)
            med = medians(data)
            got = {who.split("/", 1)[1] for (_, who) in med if who.startswith("segue/")}
            if got != {level}:
                continue
            levels.append(level)
            timing[level] = med
        # Instructions.
        counts = {}
        mpg123_cg_name = ""
        if not args.no_callgrind and shutil.which("valgrind"):
            for path, _ in files:
                fname = os.path.basename(path)
                for level in levels:
                    counts[(fname, "segue/" + level)] = callgrind(driver, "segue", path, level)[0]
                n, mpg123_cg_name = callgrind(driver, "mpg123", path, None)
                counts[(fname, "mpg123")] = n
                if any(who == "libavcodec" for (_, who) in timing[levels[0]]):
                    counts[(fname, "libavcodec")] = callgrind(driver, "avcodec", path, None)[0]

        lines = []
        lines.append("# MP3 decoding: segue vs libmpg123 and libavcodec")
        lines.append("")
        lines.append("%s, %s; %s. Source: %s, encoded with lame (%s)." % (
            datetime.date.today().isoformat(), cpu_model(), platform.machine(), src,
            subprocess.run(["lame", "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()))
        lines.append("Both decode the same in-memory bytes to 32-bit float, gapless. CPU time: median of %d "
                     "repetitions, the two decoders' repetitions interleaved in one process per level; "
                     "the ratio is to libmpg123's median in that same process. Instructions: callgrind, "
                     "decoding only%s." % (args.repetitions, (", libmpg123 picking its '%s' synthesis under "
                                                              "valgrind" % mpg123_cg_name) if mpg123_cg_name else ""))
        lines.append("")
        lines.append("| file | decoder | CPU ms per audio s | vs libmpg123 | instructions per audio s |")
        lines.append("| --- | --- | ---: | ---: | ---: |")
        rows = []
        for path, label in files:
            fname = os.path.basename(path)
            mpg_runs = []
            mpg_label = ""
            for i, level in enumerate(levels):
                med = timing[level]
                ms, audio_s, _ = med[(fname, "segue/" + level)]
                mms, _, mpg_label = med[(fname, "mpg123")]
                mpg_runs.append(mms / audio_s)
                n = counts.get((fname, "segue/" + level))
                lines.append("| %s | segue %s | %.3f | %.2fx | %s |" % (
                    "%s (%s)" % (fname, label) if i == 0 else "", level, ms / audio_s, ms / mms,
                    "%.2f M" % (n / audio_s / 1e6) if n else "-"))
                rows.append(summary_row(label, "segue " + level, True, ms / audio_s, mms / audio_s, n, audio_s,
                                        "segue, SEGUE_CPU=" + level))
            n = counts.get((fname, "mpg123"))
            audio_s = timing[levels[0]][(fname, "mpg123")][1]
            lines.append("| | libmpg123 %s (%s) | %.3f | 1 | %s |" % (
                mpg123_version(), mpg_label, statistics.median(mpg_runs),
                "%.2f M" % (n / audio_s / 1e6) if n else "-"))
            rows.append(summary_row(label, "libmpg123", False, statistics.median(mpg_runs),
                                    statistics.median(mpg_runs), n, audio_s,
                                    "libmpg123 %s (%s synthesis)" % (mpg123_version(), mpg_label)))
            # libavcodec: its median per process, the ratio per process too.
            av_runs, av_ratios, av_label = [], [], ""
            for level in levels:
                med = timing[level]
                if (fname, "libavcodec") in med:
                    ams, _, av_label = med[(fname, "libavcodec")]
                    av_runs.append(ams / audio_s)
                    av_ratios.append(ams / med[(fname, "mpg123")][0])
            if av_runs:
                n = counts.get((fname, "libavcodec"))
                lines.append("| | %s | %.3f | %.2fx | %s |" % (
                    av_label, statistics.median(av_runs), statistics.median(av_ratios),
                    "%.2f M" % (n / audio_s / 1e6) if n else "-"))
                rows.append(summary_row(label, "libavcodec", False, statistics.median(av_runs),
                                        statistics.median(mpg_runs), n, audio_s, av_label))
                rows[-1]["vs_libmpg123"] = round(statistics.median(av_ratios), 3)
        lines.append("")
        lines.append("libmpg123's and libavcodec's CPU times are the medians of their per-process medians. "
                     "Ratios below 1 mean faster than libmpg123.")
        table = "\n".join(lines) + "\n"
        with open(os.path.join(out_dir, "bench_mp3.md"), "w") as f:
            f.write(table)
        with open(os.path.join(out_dir, "mp3.json"), "w") as f:
            json.dump({"source": src, "repetitions": args.repetitions, "levels": levels,
                       "mpg123_callgrind_synthesis": mpg123_cg_name, "rows": rows}, f, indent=1)
            f.write("\n")
        sys.stdout.write(table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summary_row(case, impl, ours, ms_per_s, mpg123_ms_per_s, instructions, audio_s, label):
    row = {"section": "mp3_decode", "case": case, "impl": impl, "ours": ours, "label": label,
           "status": "ok", "audio_s": round(audio_s, 3), "cpu_ms_per_audio_s": round(ms_per_s, 4),
           "vs_libmpg123": round(ms_per_s / mpg123_ms_per_s, 3)}
    if instructions:
        row["instr_per_audio_s"] = round(instructions / audio_s)
    return row


def mpg123_version():
    try:
        out = subprocess.run(["pkg-config", "--modversion", "libmpg123"], capture_output=True, text=True)
        return out.stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    main()
