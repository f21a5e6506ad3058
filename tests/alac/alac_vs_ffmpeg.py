#!/usr/bin/env python3
"""Bit-exactness of the own ALAC decoder (codec/alac) against FFmpeg's.

usage: alac_vs_ffmpeg.py ALAC_TOOL WORKDIR

Each case synthesises a source with ffmpeg's lavfi (a distinct signal per
channel, so a channel-order mistake shows), encodes it with ffmpeg's ALAC
encoder into CAF, decodes it with ffmpeg (-f s16le for 16-bit, -f s32le for
24-bit, the value in the top bits) and with alac_tool (which drives the
descriptor in strict mode and also checks the float output against the
integers), and requires identical bytes. Cases cover 16 and 24 bit, 1..8
channels in every ALAC default layout, partial last frames and single
partial frames, verbatim (escape) frames, the 24-bit uncompressed low byte
("shift"), mid/side, zero runs (silence, quiet signals), every prediction
order FFmpeg writes (1..30) and its compression levels.

FFmpeg 5.1's encoder writes only 16 and 24 bit; 20 and 32 bit are covered
by tests/alac/alac_unit.c. Exit 77 (skip) without ffmpeg.
"""
import os
import re
import shutil
import subprocess
import sys

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]

LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1",
           7: "6.1(back)", 8: "7.1(wide)"}


def exprs(channels, kind):
    """One lavfi aevalsrc expression per channel."""
    out = []
    for c in range(channels):
        f = 110 * (c + 1) + 17 * c * c
        if kind == "tone":    # tone plus a little noise: ordinary music-like
            out.append(f"0.6*sin(2*PI*{f}*t)+0.05*(random({c})-0.5)")
        elif kind == "noise":  # full-scale white noise, independent channels
            out.append(f"random({c})*2-1")
        elif kind == "quiet":  # tiny values: zero runs in the residual coder
            out.append(f"0.0002*sin(2*PI*{f}*t)*lt(mod(t\\,0.3)\\,0.1)")
        elif kind == "silence":
            out.append("0")
        elif kind == "step":   # square-ish: large residuals, adaptation
            out.append(f"0.9*sgn(sin(2*PI*{f}*t))*(0.5+0.5*random({c}))")
    return "|".join(out)


# name, channels, bits, kind, samples, extra encoder options
CASES = [
    ("s16_stereo", 2, 16, "tone", 145530, []),
    ("s24_stereo", 2, 24, "tone", 145530, []),
    ("s16_5.1", 6, 16, "tone", 100000, []),
    ("s24_5.1", 6, 24, "tone", 100000, []),
    ("s16_mono", 1, 16, "tone", 50000, []),
    ("s24_mono", 1, 24, "tone", 50000, []),
    ("s16_3ch", 3, 16, "tone", 20000, []),
    ("s16_4ch", 4, 16, "tone", 20000, []),
    ("s16_5ch", 5, 16, "tone", 20000, []),
    ("s16_7ch", 7, 16, "tone", 20000, []),
    ("s16_8ch", 8, 16, "tone", 20000, []),
    ("s24_8ch", 8, 24, "tone", 20000, []),
    ("s16_verbatim", 2, 16, "noise", 20000, ["-compression_level", "0"]),
    ("s24_verbatim", 6, 24, "tone", 20000, ["-compression_level", "0"]),
    ("s16_noise", 2, 16, "noise", 20000, []),
    ("s24_noise", 1, 24, "noise", 20000, []),
    ("s16_quiet", 2, 16, "quiet", 60000, []),
    ("s24_quiet", 2, 24, "quiet", 60000, []),
    ("s16_silence", 2, 16, "silence", 9000, []),
    ("s16_step", 2, 16, "step", 30000, []),
    ("s24_step", 2, 24, "step", 30000, []),
    ("s16_order1", 2, 16, "tone", 30000,
     ["-min_prediction_order", "1", "-max_prediction_order", "1"]),
    ("s16_order30", 2, 16, "step", 30000,
     ["-min_prediction_order", "30", "-max_prediction_order", "30"]),
    ("s24_order8", 2, 24, "tone", 30000,
     ["-min_prediction_order", "8", "-max_prediction_order", "8"]),
    ("s16_level1", 2, 16, "tone", 30000, ["-compression_level", "1"]),
    ("s16_one_partial", 2, 16, "tone", 100, []),
    ("s16_one_sample", 1, 16, "tone", 1, []),
    ("s16_exact_frame", 2, 16, "tone", 4096, []),
    ("s16_frame_plus1", 2, 16, "tone", 4097, []),
]


def run_case(tool, work, name, channels, bits, kind, samples, extra):
    caf = os.path.join(work, name + ".caf")
    ref = os.path.join(work, name + ".ref")
    out = os.path.join(work, name + ".out")
    src = (f"aevalsrc=exprs={exprs(channels, kind)}:s=44100:n=1024"
           f":c={LAYOUTS[channels]},atrim=end_sample={samples}")
    fmt = "s16p" if bits == 16 else "s32p"
    cmd = FF + ["-f", "lavfi", "-i", src, "-c:a", "alac", "-sample_fmt", fmt]
    if bits == 24:
        cmd += ["-bits_per_raw_sample", "24"]
    cmd += extra + ["-f", "caf", caf]
    subprocess.run(cmd, check=True)
    subprocess.run(FF + ["-i", caf, "-f", "s16le" if bits == 16 else "s32le", ref],
                   check=True)
    p = subprocess.run([tool, caf, out, "--strict"], capture_output=True, text=True)
    stats = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    if p.returncode != 0:
        return False, f"tool failed: {p.stderr.strip()}"
    a = open(ref, "rb").read()
    b = open(out, "rb").read()
    if a != b:
        width = 2 if bits == 16 else 4
        n = min(len(a), len(b))
        first = next((i for i in range(n) if a[i] != b[i]), n)
        return False, (f"differs: ffmpeg {len(a)} bytes, ours {len(b)}; first at "
                       f"sample {first // width} (channel {first // width % channels}) {stats}")
    frames = len(a) // ((2 if bits == 16 else 4) * channels)
    if frames != samples:
        return False, f"{frames} frames, expected {samples}"
    return True, f"{frames} frames bit-exact; {stats.replace('alac_tool: ', '')}"


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tool, work = sys.argv[1], sys.argv[2]
    if not shutil.which("ffmpeg"):
        print("skipped: ffmpeg not installed")
        return 77
    os.makedirs(work, exist_ok=True)
    only = os.environ.get("ALAC_CASES")
    failed = 0
    for case in CASES:
        if only and not re.search(only, case[0]):
            continue
        ok, msg = run_case(tool, work, *case)
        print(f"{'ok  ' if ok else 'FAIL'} {case[0]:18s} {msg}")
        failed += not ok
    print("all bit-exact" if not failed else f"{failed} case(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
