#!/usr/bin/python3
"""`make demo`: converts the demo clips and prints what came out, how fast.

    demo.py SEGUE_BINARY DEMO_DIR OUT_DIR

Each WAV in DEMO_DIR is converted by the segue command into a few outputs in
OUT_DIR. Every conversion runs three times and the fastest wall time counts
(the others are mostly noise from a shared machine: page cache, scheduling).
The output's properties come from `segue probe --json`, so the table shows
what segue reads back, not what was asked for. Headerless raw outputs cannot
be probed; their length follows from the size and the input's layout.

Prints a Markdown table; exits 1 if any conversion failed. Standard library
only, so it runs under whichever python3 is on PATH.
"""

import json
import os
import subprocess
import sys
import time

RUNS = 3

# (suffix, extra convert arguments, raw sample format or None).
OUTPUTS = [
    ("s16.wav", ["--format", "s16"], None),
    ("f32.wav", ["--format", "f32"], None),
    ("s24.raw", ["--codec", "raw", "--format", "s24"], "s24"),
    ("flac", [], None),
    ("mp3", [], None),
    ("cbr320.mp3", ["--bitrate", "320"], None),
    ("ogg", [], None),
    ("opus", [], None),
]
RAW_BYTES = {"u8": 1, "s16": 2, "s24": 3, "s32": 4, "f32": 4, "f64": 8}


def probe(segue, path):
    p = subprocess.run([segue, "probe", path, "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("probe %s: exit %d: %s" % (path, p.returncode,
                                                      p.stderr.decode(errors="replace").strip()))
    return json.loads(p.stdout)


def convert(segue, src, dst, extra):
    """Best wall time of RUNS conversions, in seconds."""
    best = None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        p = subprocess.run([segue, "convert", src, dst] + extra, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError("convert %s -> %s: exit %d: %s" % (
                os.path.basename(src), os.path.basename(dst), p.returncode,
                p.stderr.decode(errors="replace").strip()))
        best = dt if best is None else min(best, dt)
    return best


def main(argv):
    if len(argv) != 4:
        print("usage: demo.py SEGUE_BINARY DEMO_DIR OUT_DIR", file=sys.stderr)
        return 2
    segue, demo_dir, out_dir = argv[1], argv[2], argv[3]
    try:
        clips = sorted(n for n in os.listdir(demo_dir) if n.lower().endswith(".wav"))
    except OSError as e:
        print("demo: %s" % e, file=sys.stderr)
        return 1
    if not clips:
        print("demo: no .wav clips in %s" % demo_dir, file=sys.stderr)
        return 1
    os.makedirs(out_dir, exist_ok=True)

    rows, failures = [], 0
    for clip in clips:
        src = os.path.join(demo_dir, clip)
        try:
            src_info = probe(segue, src)
        except (RuntimeError, ValueError) as e:
            print("demo: %s" % e, file=sys.stderr)
            failures += 1
            continue
        stem = os.path.splitext(clip)[0]
        for suffix, extra, raw_fmt in OUTPUTS:
            dst = os.path.join(out_dir, "%s.%s" % (stem, suffix))
            try:
                elapsed = convert(segue, src, dst, extra)
                if raw_fmt:
                    rate, ch = src_info["sample_rate"], src_info["channels"]
                    width = RAW_BYTES[raw_fmt]
                    duration = os.path.getsize(dst) / float(rate * ch * width)
                    codec = "raw %s" % raw_fmt
                    kbps = rate * ch * width * 8 / 1000.0
                else:
                    info = probe(segue, dst)
                    duration = info["duration"]
                    if info["sample_format"] == "none":  # lossy: say how bits are spent
                        codec = "%s (%s)" % (info["codec"], info.get("rate_control") or
                                             "%d Hz" % info["sample_rate"])
                    else:
                        codec = "%s %s (%s)" % (info["container"], info["sample_format"],
                                                info["codec"])
                    kbps = info["bitrate"] / 1000.0
            except (RuntimeError, ValueError, KeyError, OSError) as e:
                print("demo: %s" % e, file=sys.stderr)
                failures += 1
                continue
            rows.append((clip, os.path.basename(dst), codec, "%.0f" % kbps, "%.3f" % duration,
                         "%.0f" % (duration / elapsed) if elapsed > 0 else "inf"))

    header = ("input", "output", "codec", "bitrate (kbit/s)", "duration (s)", "x realtime")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()
    print("x realtime = output duration / best wall time of %d runs (includes process "
          "start-up; outputs in %s)" % (RUNS, out_dir))
    if failures:
        print("demo: %d conversion(s) failed" % failures, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
