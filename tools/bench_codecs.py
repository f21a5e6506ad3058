#!/usr/bin/python3
"""Encoders, transcodes and the AAC/ATRAC3 decoders beside their peers.

usage: bench_codecs.py BENCH_DIR OUT_DIR [--repetitions N] [--no-callgrind]

Runs BENCH_DIR/bench_codecs (bench/bench_codecs.cc says what each case
does) on:
  - a 30 s FLAC clip: ../shared/corpus/orchestral_dense.flac when the
    corpus is beside the checkout, else the bundled demo chord looped to
    30 s (the table says which);
  - an ADTS AAC-LC 128 kbit/s file made from that clip with ffmpeg's
    native encoder (the only AAC encoder Debian ships);
  - ../shared/fixtures/atrac/at3_lp2_music_10s.at3 when present;
and BENCH_DIR/bench_aac_imdct when built (section aac_imdct: our IMDCT
against libavutil's av_tx, per transform scaled to a second of audio).
All implementations' repetitions (N, default 7) are randomly interleaved in
one process; rows give the median CPU time per second of audio. For the
decoders, callgrind also counts instructions of one whole decode
(--toggle-collect=bench_measured_job; encoders are in the wrapper table).

Writes OUT_DIR/codecs.json: {"source": ..., "rows": [...]}, one row per
implementation with section, case, impl, ours, label, status ("ok", "not
built yet: ..." or "error: ..."), cpu_ms_per_audio_s, audio_s and, where
counted, instr_per_audio_s.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_CLIP = os.path.join(ROOT, "..", "shared", "corpus", "orchestral_dense.flac")
FALLBACK_CLIP = os.path.join(ROOT, "fixtures", "demo", "chord_s16_stereo_44k.wav")
AT3_CLIP = os.path.join(ROOT, "..", "shared", "fixtures", "atrac", "at3_lp2_music_10s.at3")


def make_inputs(work):
    flac = os.path.join(work, "clip.flac")
    if os.path.exists(CORPUS_CLIP):
        shutil.copyfile(CORPUS_CLIP, flac)
        src = "../shared/corpus/orchestral_dense.flac (30 s)"
    else:
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", FALLBACK_CLIP,
                        "-t", "30", "-c:a", "flac", flac], check=True)
        src = "fixtures/demo/chord_s16_stereo_44k.wav looped to 30 s (corpus not present)"
    adts = os.path.join(work, "clip.aac")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", flac, "-c:a", "aac", "-b:a", "128k",
                    "-f", "adts", adts], check=True)
    args = ["--flac=" + flac, "--adts=" + adts]
    if os.path.exists(AT3_CLIP):
        args.append("--at3=" + AT3_CLIP)
        src += "; ATRAC3: ../shared/fixtures/atrac/at3_lp2_music_10s.at3"
    else:
        src += "; ATRAC3: not measured (../shared/fixtures/atrac not present)"
    return args, src


def imdct_rows(bench_dir, repetitions):
    """Section aac_imdct: BENCH_DIR/bench_aac_imdct, our AAC IMDCT (the active
    level) against libavutil's av_tx, 2048 and 256 points; CPU time per
    audio second = per transform / (N/2 samples at 44.1 kHz, one channel)."""
    binary = os.path.join(bench_dir, "bench_aac_imdct")
    if not os.path.exists(binary):
        return []
    p = subprocess.run([binary, "--benchmark_format=json", "--benchmark_repetitions=%d" % repetitions,
                        "--benchmark_filter=/(segue|av_tx|av_tx half)/"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return []
    per = {}
    for b in json.loads(p.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        name = re.sub(r"/(iterations|min_time):[0-9.]+$", "", b["run_name"])
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0}[b["time_unit"]]
        e = per.setdefault(name, {"cpu": [], "audio_s": b.get("audio_s", 0.0), "label": b.get("label", "")})
        e["cpu"].append(b["cpu_time"] * scale)
    rows = []
    for name, e in per.items():
        _, case, impl = name.split("/", 2)
        rows.append({"section": "aac_imdct", "case": case, "impl": impl, "ours": impl == "segue",
                     "label": e["label"] or "segue_dsp aac_imdct", "status": "ok",
                     "repetitions": len(e["cpu"]), "audio_s": round(e["audio_s"], 6),
                     "cpu_ms_per_audio_s": round(statistics.median(e["cpu"]) / e["audio_s"], 4)})
    return rows


def callgrind(binary, inputs, name):
    with tempfile.TemporaryDirectory() as tmp:
        outf = os.path.join(tmp, "cg.out")
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outf,
                            "--toggle-collect=bench_measured_job", binary, "--run-once=" + name] + inputs,
                           capture_output=True, text=True)
        if p.returncode != 0:
            return None
        with open(outf) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--repetitions", type=int, default=7)
    ap.add_argument("--no-callgrind", action="store_true")
    args = ap.parse_args()
    if args.repetitions < 5:
        sys.exit("bench_codecs.py: use at least 5 repetitions (medians)")
    binary = os.path.join(args.bench_dir, "bench_codecs")
    os.makedirs(args.out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="segue-bench-codecs-") as work:
        inputs, src = make_inputs(work)
        p = subprocess.run([binary, "--benchmark_format=json",
                            "--benchmark_repetitions=%d" % args.repetitions,
                            "--benchmark_enable_random_interleaving=true"] + inputs,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("bench_codecs failed:\n" + p.stderr[-2000:])
        data = json.loads(p.stdout)
        with open(os.path.join(args.out_dir, "bench_codecs_raw.json"), "w") as f:
            json.dump(data, f, indent=1)
        per_name = {}
        for b in data["benchmarks"]:
            # Names carry google-benchmark's suffixes (".../iterations:1").
            name = re.sub(r"/(iterations|min_time):[0-9.]+$", "", b["run_name"])
            entry = per_name.setdefault(name, {"cpu": [], "audio_s": 0.0, "label": "", "error": ""})
            if b.get("error_occurred"):
                entry["error"] = b.get("error_message", "error")
                continue
            if b.get("run_type") != "iteration":
                continue
            assert b["time_unit"] == "ms", b["time_unit"]
            entry["cpu"].append(b["cpu_time"])
            entry["audio_s"] = b.get("audio_s", 0.0)
            entry["label"] = b.get("label", "")
        rows = []
        for name, e in per_name.items():
            section, case, impl = name.split("/", 2)
            row = {"section": section, "case": case, "impl": impl, "ours": impl == "segue",
                   "label": e["label"]}
            if e["cpu"] and e["audio_s"]:
                row["status"] = "ok"
                row["repetitions"] = len(e["cpu"])
                row["audio_s"] = round(e["audio_s"], 3)
                row["cpu_ms_per_audio_s"] = round(statistics.median(e["cpu"]) / e["audio_s"], 4)
                if "_decode" in section and not args.no_callgrind and shutil.which("valgrind"):
                    n = callgrind(binary, inputs, name)
                    if n:
                        row["instr_per_audio_s"] = round(n / e["audio_s"])
            else:
                row["status"] = e["error"] or "error: no result"
            rows.append(row)
        rows += imdct_rows(args.bench_dir, args.repetitions)
    rows.sort(key=lambda r: (r["section"], r["case"], not r["ours"], r["impl"]))
    out = {"source": src, "repetitions": args.repetitions, "rows": rows}
    with open(os.path.join(args.out_dir, "codecs.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for r in rows:
        print("%-14s %-9s %-24s %s" % (r["section"], r["case"], r["impl"],
                                       "%.3f ms/s" % r["cpu_ms_per_audio_s"] if r["status"] == "ok"
                                       else r["status"]))


if __name__ == "__main__":
    main()
