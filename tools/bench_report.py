#!/usr/bin/python3
"""Merges every host bench's results into one report: JSON, Markdown, PNG.

usage: bench_report.py RESULTS_DIR OUT_DIR

RESULTS_DIR is where the bench scripts wrote their outputs (`make bench`:
build-bench/results): mp3.json (tools/bench_mp3.py), codecs.json
(tools/bench_codecs.py), pipeline.json (tools/bench_pipeline.py),
wrappers.json (tools/bench_wrappers.py) and kernels.md (tools/bench_table.py).
Missing inputs are reported as "not measured", never invented.

OUT_DIR (bench/results) receives:
  bench.json  every comparison row, the machine and the date;
  bench.md    the tables: codecs beside their peers (CPU time per second of
              audio, x realtime, ratio to the reference peer measured in the
              same process, instructions per second of audio where counted),
              whole-process runs with peak RSS, wrapper overhead, kernels;
  *.png       one bar chart per comparison (x realtime, higher is faster),
              drawn with gnuplot.

The comparisons are the table COMPARISONS below: each own codec with its
peers. A codec of ours that is not in the build yet shows as "not built
yet" with the peers' figures beside it, so the row fills in when it lands.
"""
import datetime
import json
import os
import platform
import subprocess
import sys

# (section, title, reference peer for the ratio, peers, what ours is and
# where it will come from). The section names are the bench cases'.
COMPARISONS = [
    ("mp3_decode", "MP3 decode", "libmpg123", ["libmpg123", "libavcodec"],
     "own decoder, codec/mp3/"),
    ("aac_decode", "AAC-LC decode (ADTS, 128 kbit/s from ffmpeg's aac)", "libavcodec",
     ["libavcodec", "libfaad"], "own AAC decoder, codec/aac/"),
    ("aac_imdct", "AAC IMDCT 2048 / 256 (CPU per audio second: N/2 samples at 44.1 kHz)",
     "av_tx", ["av_tx"], "segue_dsp aac_imdct on our FFT, simd/dsp_aac_*.c"),
    ("atrac3_decode", "ATRAC3 decode (RIFF, LP2 132 kbit/s)", "libavcodec", ["libavcodec"],
     "own ATRAC3 decoder, codec/atrac3/ (not written yet)"),
    ("mp3_encode", "MP3 encode (segue over libmp3lame vs libmp3lame directly)", "libmp3lame",
     ["libmp3lame"], "segue_encoder, codec/ext/lame"),
    ("aac_encode", "AAC-LC encode, 128 kbit/s", "libavcodec", ["libavcodec"],
     "own AAC encoder, codec/aac/ (not written yet)"),
    ("flac_to_mp3", "FLAC -> MP3 V2 transcode (in memory)", "libFLAC+libmp3lame",
     ["libFLAC+libmp3lame"], "segue_transcoder"),
    ("flac_to_aac", "FLAC -> AAC transcode (in memory)", None, [],
     "segue_transcoder with the own AAC encoder (not written yet)"),
]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def machine():
    return {"cpu": cpu_model(), "cores": os.cpu_count() or 0, "arch": platform.machine(),
            "os": os_name(), "kernel": platform.release()}


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def peer_of(impl, peers):
    """The peer name an implementation row belongs to ("libavcodec" for
    "libavcodec"), or None for ours."""
    for p in peers:
        if impl == p or impl.startswith(p + " "):
            return p
    return None


def comparison_rows(sources):
    """One list of table rows per comparison, each with the ratio to the
    reference peer of the same case (same process, same bytes)."""
    rows_by_section = {}
    for src in sources:
        for r in (src or {}).get("rows", []):
            rows_by_section.setdefault(r["section"], []).append(r)
    out = []
    for section, title, ref, peers, ours_what in COMPARISONS:
        rows = rows_by_section.get(section)
        entry = {"section": section, "title": title, "ours": ours_what, "reference": ref, "rows": []}
        if rows is None:
            entry["status"] = "not measured (its bench did not run)"
            out.append(entry)
            continue
        cases = []
        for r in rows:
            if r["case"] not in cases:
                cases.append(r["case"])
        for case in cases:
            in_case = [r for r in rows if r["case"] == case]
            ref_row = next((r for r in in_case if r["impl"] == ref and r["status"] == "ok"), None)
            for r in in_case:
                row = dict(r)
                if r["status"] == "ok":
                    row["x_realtime"] = round(1000.0 / r["cpu_ms_per_audio_s"], 1)
                    if "vs_libmpg123" in r:
                        row["ratio_to_reference"] = r["vs_libmpg123"]
                    elif ref_row:
                        row["ratio_to_reference"] = round(r["cpu_ms_per_audio_s"] /
                                                          ref_row["cpu_ms_per_audio_s"], 3)
                entry["rows"].append(row)
        if not any(r["ours"] and r["status"] == "ok" for r in entry["rows"]):
            reason = next((r["status"] for r in entry["rows"] if r["ours"]), "")
            entry["status"] = "segue: not built yet" + (" (%s)" % reason.replace("not built yet: ", "")
                                                        if reason else "")
        else:
            entry["status"] = "ok"
        out.append(entry)
    return out


def fmt_instr(n):
    return "%.2f M" % (n / 1e6) if n else "-"


def markdown(report, pipeline, wrappers_md, kernels_md):
    m = report["machine"]
    lines = ["# segue host benchmarks", "",
             "Measured %s by `make bench` on %s (%d cores, %s, %s). Shared machine: every CPU time "
             "is a median of repetitions alternating with the peers in the same process, and every "
             "ratio compares figures from that same process. docs/benchmarks.md describes the method."
             % (report["date"], m["cpu"], m["cores"], m["arch"], m["os"]), ""]
    for src in report["inputs"]:
        lines.append("- %s" % src)
    lines += ["", "## Codecs beside their peers", "",
              "CPU ms per audio s: median CPU time to process one second of audio (lower is faster); "
              "x realtime = 1000 / that; ratio: to the reference peer in the same run (below 1: faster "
              "than it); instructions: callgrind, whole decode, where counted.", "",
              "| task | case | implementation | CPU ms per audio s | x realtime | ratio | "
              "instructions per audio s |",
              "|---|---|---|---:|---:|---:|---:|"]
    for c in report["comparisons"]:
        first = True
        title = "%s (vs %s)" % (c["title"], c["reference"]) if c["reference"] else c["title"]
        if not c["rows"]:
            lines.append("| %s | | segue: %s | - | - | - | - |" % (title, c["status"]))
            continue
        for r in c["rows"]:
            impl = "%s (%s)" % (r["impl"], r["label"]) if r["label"] and r["label"] != r["impl"] \
                else r["impl"]
            if r["status"] == "ok":
                lines.append("| %s | %s | %s | %.3f | %.0f | %s | %s |" % (
                    title if first else "", r["case"], impl, r["cpu_ms_per_audio_s"], r["x_realtime"],
                    "%.2f" % r["ratio_to_reference"] if "ratio_to_reference" in r else "-",
                    fmt_instr(r.get("instr_per_audio_s"))))
            else:
                what = "segue: not built yet" if r["ours"] and r["status"].startswith("not built yet") \
                    else "%s: %s" % (r["impl"], r["status"])
                lines.append("| %s | %s | %s | - | - | - | - |" % (title if first else "", r["case"],
                                                                  what.replace("|", "/")))
            first = False
    lines += ["", "Rows without our figures:"]
    for c in report["comparisons"]:
        if c["status"] != "ok":
            lines.append("- %s: %s. Ours will be the %s." % (c["title"], c["status"], c["ours"]))
    lines.append("")
    lines += ["## Whole-process runs (peak RSS)", ""]
    if pipeline:
        mib = lambda b: "%.1f MiB" % (b / 1048576.0)
        lines += ["| run | audio | peak RSS | 16 MiB budget | CPU s | x realtime (CPU) | wall s |",
                  "|---|---:|---:|---|---:|---:|---:|"]
        for r in pipeline.get("long", []):
            if r.get("exit") == 0:
                lines.append("| `%s` | %.0f s | %s | %s | %.1f | %.1f | %.1f |" % (
                    r["command"], r["audio_seconds"], mib(r["peak_rss_bytes"]), r["verdict"], r["cpu_s"],
                    r["x_realtime_cpu"], r["wall_s"]))
            else:
                lines.append("| `%s` | %.0f s | - | %s | - | - | - |" % (r["command"], r["audio_seconds"],
                                                                     r.get("verdict", "failed")))
        b = pipeline.get("batch")
        if b:
            audio = b["files"] * b["seconds_each"]
            for jobs in ("1", "2"):
                j = b["jobs"].get(jobs, {})
                if "error" in j or not j:
                    lines.append("| `segue batch -j %s` | %d s | - | | - | - | - |" % (jobs, audio))
                else:
                    lines.append("| `segue batch --profile psp-mp3 -j %s` (%d x %d s, median of %d) | %d s | "
                                 "%s | | %.1f | %.1f | %.2f |" % (jobs, b["files"], b["seconds_each"], j["runs"],
                                                                 audio, mib(j["max_peak_rss_bytes"]),
                                                                 j["median_cpu_s"], audio / j["median_cpu_s"],
                                                                 j["median_wall_s"]))
        lines.append("")
    else:
        lines += ["not measured (tools/bench_pipeline.py did not run)", ""]
    if wrappers_md:
        lines += ["## Encoder wrapper overhead (instructions)", "", wrappers_md.strip(), ""]
    if kernels_md:
        lines += ["## DSP kernels per ISA", "", kernels_md.strip(), ""]
    if report["charts"]:
        lines += ["## Charts", ""]
        for c in report["charts"]:
            lines.append("![%s](%s)" % (c["title"], c["file"]))
        lines.append("")
    return "\n".join(lines)


def chart(entry, out_dir):
    """A bar per implementation and case: x realtime (higher is faster);
    ours in one colour, peers in another. Returns the PNG's name or None."""
    bars = [r for r in entry["rows"] if r["status"] == "ok"]
    if not bars:
        return None
    name = entry["section"] + ".png"
    data = os.path.join(out_dir, "." + entry["section"] + ".dat")
    with open(data, "w") as f:
        for i, r in enumerate(bars):
            label = "%s\\n%s" % (r["case"], r["impl"])
            f.write('%d "%s" %.2f %d\n' % (i, label, r["x_realtime"], 1 if r["ours"] else 2))
    missing = "" if entry["status"] == "ok" else " (segue: not built yet)"
    script = "\n".join([
        "set terminal pngcairo size %d,400 font 'DejaVu Sans,9'" % max(640, 110 * len(bars) + 160),
        "set output '%s'" % os.path.join(out_dir, name),
        "set title \"%s%s\\nx realtime (audio seconds per CPU second), higher is faster\" noenhanced"
        % (entry["title"].replace('"', "'"), missing),
        "set bmargin 4",
        "set style fill solid 0.8 border -1",
        "set boxwidth 0.6",
        "set yrange [0:*]",
        "set grid ytics",
        "unset key",
        "set xtics nomirror noenhanced",
        "set linetype 1 lc rgb '#c0392b'",
        "set linetype 2 lc rgb '#7f8c8d'",
        "plot '%s' using 1:3:4:xtic(2) with boxes lc variable, "
        "'' using 1:3:(sprintf('%%.0f', $3)) with labels offset 0,0.7" % data,
    ])
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("bench_report: no chart for %s: %s" % (entry["section"], e), file=sys.stderr)
        return None
    finally:
        os.unlink(data)
    return name


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    results, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    mp3 = load_json(os.path.join(results, "mp3.json"))
    codecs = load_json(os.path.join(results, "codecs.json"))
    pipeline = load_json(os.path.join(results, "pipeline.json"))
    wrappers = load_json(os.path.join(results, "wrappers.json"))
    report = {"date": datetime.date.today().isoformat(), "machine": machine(), "inputs": [],
              "comparisons": comparison_rows([mp3, codecs]), "pipeline": pipeline, "wrappers": wrappers,
              "charts": []}
    if mp3:
        report["inputs"].append("MP3 decode: %s, encoded with lame (128 kbit/s CBR and -V 2), %d repetitions "
                                "per SIMD level (%s)." % (mp3["source"], mp3["repetitions"],
                                                          ", ".join(mp3["levels"])))
    if codecs:
        report["inputs"].append("Encoders, transcodes, AAC/ATRAC3 decode: %s; %d repetitions."
                                % (codecs["source"], codecs["repetitions"]))
    for entry in report["comparisons"]:
        name = chart(entry, out_dir)
        if name:
            report["charts"].append({"title": entry["title"], "file": name})
    md = markdown(report, pipeline, load_text(os.path.join(results, "wrappers.md")),
                  load_text(os.path.join(results, "kernels.md")))
    with open(os.path.join(out_dir, "bench.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "bench.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
