#!/usr/bin/env python3
"""ALAC in M4A end to end: `segue decode` (MP4 demuxer + our ALAC decoder +
the PCM writer) against ffmpeg's ALAC decoder, bit for bit, at 16 and 24
bit, stereo and 5.1 (the acceptance cases of the AAC/ALAC issue; the
codec-level comparison over CAF is alac_vs_ffmpeg).

usage: alac_m4a_cli.py SEGUE WORKDIR   (exit 77 when ffmpeg is missing)
"""
import os
import shutil
import subprocess
import sys

segue, work = sys.argv[1], sys.argv[2]
if not shutil.which("ffmpeg"):
    print("skipped: ffmpeg not installed")
    sys.exit(77)
os.makedirs(work, exist_ok=True)

# (name, channels, ffmpeg sample format, bits, raw format)
CASES = [
    ("s16_stereo", 2, "s16p", 16, "s16le"),
    ("s16_51", 6, "s16p", 16, "s16le"),
    ("s24_stereo", 2, "s32p", 24, "s24le"),
    ("s24_51", 6, "s32p", 24, "s24le"),
]
failures = 0
for name, ch, sfmt, bits, raw in CASES:
    m4a = os.path.join(work, name + ".m4a")
    # Independent noise per channel, so a channel order mistake shows.
    inputs = []
    for c in range(ch):
        inputs += ["-f", "lavfi", "-i", "anoisesrc=d=1.3:a=0.4:seed=%d:c=pink" % (c + 1)]
    graph = "".join("[%d:a]" % c for c in range(ch)) + "amerge=inputs=%d[a]" % ch
    cmd = (["ffmpeg", "-v", "error", "-y"] + inputs +
           ["-filter_complex", graph, "-map", "[a]", "-ar", "44100",
            "-sample_fmt", sfmt, "-c:a", "alac"])
    if bits == 24:
        cmd += ["-bits_per_raw_sample", "24"]
    subprocess.run(cmd + [m4a], check=True)
    ref = subprocess.run(["ffmpeg", "-v", "error", "-i", m4a, "-f", raw, "-"],
                         check=True, stdout=subprocess.PIPE).stdout
    out = os.path.join(work, name + ".raw")
    r = subprocess.run([segue, "decode", m4a, "-o", out, "--raw", "--format",
                        "s16" if bits == 16 else "s24"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("FAIL %s: segue decode exit %d: %s" % (name, r.returncode, r.stderr.decode()))
        failures += 1
        continue
    with open(out, "rb") as f:
        got = f.read()
    if got != ref:
        n = min(len(got), len(ref))
        first = next((i for i in range(n) if got[i] != ref[i]), n)
        print("FAIL %s: %d vs %d bytes, first difference at byte %d" % (name, len(got), len(ref), first))
        failures += 1
    else:
        print("ok   %s: %d bytes bit-exact" % (name, len(got)))
sys.exit(1 if failures else 0)
