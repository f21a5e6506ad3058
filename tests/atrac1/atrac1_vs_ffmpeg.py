#!/usr/bin/env python3
"""Accuracy of the own ATRAC1 decoder against FFmpeg's decode.

usage: atrac1_vs_ffmpeg.py ATRAC1_TOOL FIXTURE_DIR

For each AEA fixture, decodes it with atrac1_tool (the codec descriptor
driven frame by frame) and with `ffmpeg -f aea -i FILE -f f32le -`, and
requires the same length (untrimmed: every frame, no delay removal) and a
PSNR of at least 90 dB (peak 1.0 = full scale, FFmpeg's polarity). Also
decodes a copy cut inside its last packet: the decoder must conceal, not
fail or crash, and keep the length. Prints "skipped: ..." and passes when
the fixtures or ffmpeg are missing.
"""
import array
import math
import os
import shutil
import subprocess
import sys
import tempfile

FIXTURES = ["at1_sp_music_10s.aea", "at1_sp_sweep_5s.aea"]
MIN_PSNR_DB = 90.0


def floats(raw):
    a = array.array("f")
    a.frombytes(raw)
    if sys.byteorder != "little":
        a.byteswap()
    return a


def psnr(ours, ref):
    sq = 0.0
    worst = 0.0
    for x, y in zip(ours, ref):
        d = x - y
        sq += d * d
        if abs(d) > worst:
            worst = abs(d)
    mse = sq / max(len(ref), 1)
    return (math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)), worst


def run_tool(tool, path, out, cut=None):
    cmd = [tool] + (["--cut", str(cut)] if cut is not None else []) + [path, out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"FAIL: {' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
        return None
    with open(out, "rb") as f:
        return floats(f.read())


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 64
    tool, fixture_dir = sys.argv[1], sys.argv[2]
    if not os.path.isdir(fixture_dir):
        print("skipped: ../shared/fixtures/atrac not present")
        return 0
    if shutil.which("ffmpeg") is None:
        print("skipped: ffmpeg not installed")
        return 0
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in FIXTURES:
            path = os.path.join(fixture_dir, name)
            if not os.path.exists(path):
                print(f"skipped: {name} not present")
                continue
            r = subprocess.run(["ffmpeg", "-nostdin", "-v", "quiet", "-f", "aea", "-i", path,
                                "-f", "f32le", "-"], capture_output=True)
            ref = floats(r.stdout)  # FFmpeg 5.1 exits non-zero at EOF (EIO); PCM is whole
            if len(ref) == 0:
                print(f"FAIL: {name}: ffmpeg produced no PCM")
                failed += 1
                continue
            ours = run_tool(tool, path, os.path.join(tmp, "ours.f32"))
            if ours is None:
                failed += 1
                continue
            if len(ours) != len(ref):
                print(f"FAIL: {name}: {len(ours)} samples, ffmpeg {len(ref)}")
                failed += 1
                continue
            db, worst = psnr(ours, ref)
            ok = db >= MIN_PSNR_DB
            print(f"{'ok  ' if ok else 'FAIL'}: {name}: {len(ref)} samples, PSNR {db:.1f} dB "
                  f"(need {MIN_PSNR_DB}), max |diff| {worst:.3g} = {worst * 32768:.3g} LSB16")
            failed += 0 if ok else 1

            # A cut last packet is concealed: same length, the rest intact.
            cut = run_tool(tool, path, os.path.join(tmp, "cut.f32"), cut=100)
            if cut is None or len(cut) != len(ref):
                print(f"FAIL: {name}: cut file: {None if cut is None else len(cut)} samples")
                failed += 1
                continue
            keep = len(ref) - 2 * 512 * 2  # the last two frames may differ
            db_cut, _ = psnr(cut[:keep], ref[:keep])
            ok = db_cut >= MIN_PSNR_DB
            print(f"{'ok  ' if ok else 'FAIL'}: {name} cut in its last packet: decodes, "
                  f"PSNR before the cut {db_cut:.1f} dB")
            failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
