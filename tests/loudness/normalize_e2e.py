#!/usr/bin/python3
"""`segue convert --normalize` end to end, checked with mutagen and
`segue probe --loudness`.

usage: normalize_e2e.py SEGUE OUT_DIR

- --normalize replaygain to .mp3, .flac and .ogg: REPLAYGAIN_TRACK_GAIN is
  -18 - I of the source (I from `segue probe --loudness` of the source)
  within 0.1 dB, REPLAYGAIN_TRACK_PEAK is a linear peak near the source's
  true peak.
- --normalize r128 to .opus: R128_TRACK_GAIN = round(256 * (-23 - I))
  within 0.1 dB (26 steps of 1/256 dB), no REPLAYGAIN_* gain (RFC 7845 5.2.1).
- --normalize r128 --apply-gain to .flac from a quiet source with loud
  transients: the output measures -23 +-0.5 LUFS and its true peak is at
  most -1 dBTP + 0.1 dB (the limiter kept the gain from clipping).
The sources are generated here with numpy (noise; fixed seed).
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import mutagen

RATE = 44100
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def write_wav16(path, data):
    ints = np.clip(np.round(data * 32767.0), -32768, 32767).astype("<i2")
    raw = ints.tobytes()
    ch = data.shape[1]
    fmt = struct.pack("<HHIIHH", 1, ch, RATE, RATE * 2 * ch, 2 * ch, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + \
        struct.pack("<I", len(raw)) + raw
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def shaped_noise(rng, seconds, level):
    """Stereo noise, low-passed a little so lossy codecs keep its level."""
    n = int(seconds * RATE)
    x = rng.standard_normal((n, 2))
    kernel = np.ones(4) / 4.0
    x = np.stack([np.convolve(x[:, c], kernel, mode="same") for c in range(2)], axis=1)
    return x * level / np.sqrt(np.mean(x ** 2))


def probe(segue, path):
    res = subprocess.run([segue, "probe", "--loudness", "--json", path],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("probe %s: %s" % (path, res.stderr))
    return json.loads(res.stdout)["loudness"]


def convert(segue, src, dst, *opts):
    if os.path.exists(dst):
        os.remove(dst)
    res = subprocess.run([segue, "convert", src, dst] + list(opts), capture_output=True, text=True)
    check(res.returncode == 0, "convert %s %s: exit %d %s" %
          (os.path.basename(dst), " ".join(opts), res.returncode, res.stderr.strip()))
    return res.returncode == 0


def rg_value(text):
    return float(str(text).replace("dB", "").strip())


def main():
    segue, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1770)

    src = os.path.join(out, "source.wav")
    write_wav16(src, shaped_noise(rng, 8.0, 0.08))
    ref = probe(segue, src)
    i = ref["integrated_lufs"]
    print("source: I %.2f LUFS, true peak %.2f dBTP" % (i, ref["true_peak_dbtp"]))

    for ext in ("mp3", "flac", "ogg"):
        dst = os.path.join(out, "rg." + ext)
        if not convert(segue, src, dst, "--normalize", "replaygain"):
            continue
        f = mutagen.File(dst)
        if ext == "mp3":
            gains = [fr.text[0] for fr in f.tags.getall("TXXX") if fr.desc == "REPLAYGAIN_TRACK_GAIN"]
            peaks = [fr.text[0] for fr in f.tags.getall("TXXX") if fr.desc == "REPLAYGAIN_TRACK_PEAK"]
        else:
            gains = f.tags.get("REPLAYGAIN_TRACK_GAIN", [])
            peaks = f.tags.get("REPLAYGAIN_TRACK_PEAK", [])
        check(len(gains) == 1 and abs(rg_value(gains[0]) - (-18.0 - i)) <= 0.1,
              "%s REPLAYGAIN_TRACK_GAIN %r vs %.2f" % (ext, gains, -18.0 - i))
        # Our own reader gives back the same value (segue probe).
        res = subprocess.run([segue, "probe", "--json", dst], capture_output=True, text=True)
        tags = json.loads(res.stdout).get("loudness_tags", {}) if res.returncode == 0 else {}
        check(len(gains) == 1 and abs(tags.get("replaygain_track_gain_db", 99) - rg_value(gains[0])) < 0.006,
              "%s probe loudness_tags %r vs mutagen %r" % (ext, tags, gains))
        # The peak is of what was measured (the source or the decoded
        # output): within 1 dB of the source's true peak.
        check(len(peaks) == 1 and abs(20 * np.log10(float(peaks[0])) - ref["true_peak_dbtp"]) < 1.0,
              "%s REPLAYGAIN_TRACK_PEAK %r vs %.6f" % (ext, peaks, ref["true_peak"]))

    dst = os.path.join(out, "r128.opus")
    if convert(segue, src, dst, "--normalize", "r128"):
        f = mutagen.File(dst)
        r = f.tags.get("R128_TRACK_GAIN", [])
        want = round(256 * (-23.0 - i))
        check(len(r) == 1 and abs(int(r[0]) - want) <= 26,
              "opus R128_TRACK_GAIN %r vs %d" % (r, want))
        check("REPLAYGAIN_TRACK_GAIN" not in f.tags, "opus carries no REPLAYGAIN_TRACK_GAIN")

    # Quiet noise with three short loud clicks: reaching -23 LUFS needs
    # about +11 dB, which would put the clicks above full scale without a
    # limiter. The clicks are short and few so that they carry a few per
    # cent of the energy: limiting them then costs little loudness (a
    # limiter must lower a signal whose loudness lies in its peaks).
    quiet = shaped_noise(rng, 10.0, 0.01)
    for k in (2, 5, 8):
        at = k * RATE
        quiet[at:at + 8, :] = 0.5 * np.hanning(8)[:, None]
    src2 = os.path.join(out, "quiet_clicks.wav")
    write_wav16(src2, quiet)
    ref2 = probe(segue, src2)
    print("quiet source: I %.2f LUFS, true peak %.2f dBTP" %
          (ref2["integrated_lufs"], ref2["true_peak_dbtp"]))
    check(ref2["true_peak_dbtp"] - 23.0 - ref2["integrated_lufs"] > 0.0,
          "the test source needs limiting (peak after gain %.1f dBTP)" %
          (ref2["true_peak_dbtp"] - 23.0 - ref2["integrated_lufs"]))
    dst = os.path.join(out, "applied.flac")
    if convert(segue, src2, dst, "--normalize", "r128", "--apply-gain"):
        got = probe(segue, dst)
        check(abs(got["integrated_lufs"] + 23.0) <= 0.5,
              "--apply-gain output at %.2f LUFS (-23 +-0.5)" % got["integrated_lufs"])
        check(got["true_peak_dbtp"] <= -1.0 + 0.1,
              "--apply-gain output true peak %.2f dBTP (<= -0.9)" % got["true_peak_dbtp"])

    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
