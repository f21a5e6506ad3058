#!/usr/bin/python3
"""tests/aacenc/aacenc_m4a_gapless.py - segue's own M4A files decode to
exactly the input's length, aligned, in ffmpeg and in segue, and without
errors in faad, over input lengths around the frame size, every rate class,
mono, stereo and 5.1.

    aacenc_m4a_gapless.py SEGUE_CLI WORK_DIR

Per case: a test signal (a tone per channel at a different frequency, plus
a little noise) is written as a 16-bit WAV, converted with
`segue convert in.wav out.m4a` and checked:
  - the edit list declares the input length (ffprobe duration_ts);
  - segue decodes it to exactly n frames;
  - ffmpeg decodes it without an error message to exactly n frames when
    n > 512 (the encoder ends the stream on a frame boundary, see
    codec/aac/enc/aac_enc.c "Framing"; for n <= 512 it keeps the plain
    1024 delay and ffmpeg 5.1 outputs the whole last packet: at least n);
  - ffmpeg's and segue's outputs agree sample for sample (same bitstream,
    two decoders) over the n frames, and correlate with the input at lag 0;
  - faad decodes it without an error (when installed).
Exit 77 (skip) when ffmpeg/ffprobe or numpy are missing.
"""
import json
import os
import shutil
import subprocess
import sys

try:
    import numpy as np
except ImportError:
    print("skip: numpy missing")
    sys.exit(77)

SEGUE, WORK = sys.argv[1], sys.argv[2]
FAILS = []


def check(ok, msg):
    if not ok:
        print("FAIL: " + msg)
        FAILS.append(msg)


def run(*args):
    return subprocess.run(args, capture_output=True)


def write_wav(path, x, rate):
    """x: frames x channels float in [-1, 1) -> 16-bit PCM WAV."""
    ch = x.shape[1]
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2").tobytes()
    fmt = (b"fmt " + (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + ch.to_bytes(2, "little")
           + rate.to_bytes(4, "little") + (rate * ch * 2).to_bytes(4, "little")
           + (ch * 2).to_bytes(2, "little") + (16).to_bytes(2, "little"))
    body = b"WAVE" + fmt + b"data" + len(pcm).to_bytes(4, "little") + pcm
    with open(path, "wb") as f:
        f.write(b"RIFF" + len(body).to_bytes(4, "little") + body)


def read_f32_wav(path, ch):
    """segue's f32 WAV output (any chunk order): frames x channels."""
    data = open(path, "rb").read()
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "little")
        if cid == b"data":
            return np.frombuffer(data[pos + 8:pos + 8 + size], "<f4").reshape(-1, ch)
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk in " + path)


def signal(n, rate, ch, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    cols = []
    for c in range(ch):
        f = min(220.0 * (c + 1) * 1.5, rate / 5)
        # Noise enough that the lag search below has one peak (a pure
        # tone correlates at every multiple of its period).
        cols.append(0.3 * np.sin(2 * np.pi * f * t) + 0.1 * rng.standard_normal(n))
    return np.stack(cols, axis=1) if n else np.zeros((0, ch))


def lag_of(ref, got, span=64):
    """Lag (samples) of got against ref with the highest correlation."""
    a, b = ref[:, 0].astype(np.float64), got[:, 0].astype(np.float64)
    m = min(len(a), len(b)) - 2 * span
    best, lag = -1e300, None
    for k in range(-span, span + 1):
        c = float(np.dot(a[span:span + m], b[span + k:span + k + m]))
        if c > best:
            best, lag = c, k
    return lag


def case(rate, ch, n, tag):
    src, out, dec = (os.path.join(WORK, "%s.%s" % (tag, e)) for e in ("wav", "m4a", "dec.wav"))
    x = signal(n, rate, ch, n + rate + ch)
    write_wav(src, x, rate)
    r = run(SEGUE, "convert", src, out)
    check(r.returncode == 0, "%s: convert exit %d %r" % (tag, r.returncode, r.stderr[-200:]))
    if r.returncode != 0:
        return
    r = run(SEGUE, "convert", out, dec, "--format", "f32")
    check(r.returncode == 0, "%s: segue decode exit %d %r" % (tag, r.returncode, r.stderr[-200:]))
    ours = read_f32_wav(dec, ch) if r.returncode == 0 else np.zeros((0, ch))
    check(len(ours) == n, "%s: segue decodes %d frames, want %d" % (tag, len(ours), n))

    r = run("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries",
            "stream=duration_ts", "-of", "json", out)
    if n > 0:
        s = json.loads(r.stdout or b"{}").get("streams", [{}])[0]
        check(r.returncode == 0 and int(s.get("duration_ts", -1)) == n,
              "%s: ffprobe duration_ts %s, want %d" % (tag, s.get("duration_ts"), n))
    r = run("ffmpeg", "-v", "error", "-i", out, "-f", "f32le", "-")
    check(r.returncode == 0 and not r.stderr, "%s: ffmpeg: %r" % (tag, r.stderr[:200]))
    ff = np.frombuffer(r.stdout, "<f4").reshape(-1, ch)
    if n > 512 or n == 0:
        check(len(ff) == n, "%s: ffmpeg decodes %d frames, want %d" % (tag, len(ff), n))
    else:
        check(len(ff) >= n, "%s: ffmpeg decodes %d frames, want at least %d" % (tag, len(ff), n))
    m = min(n, len(ff), len(ours))
    if m:
        diff = float(np.max(np.abs(ff[:m] - ours[:m])))
        check(diff < 1e-4, "%s: ffmpeg and segue differ by %.3g" % (tag, diff))
    if n >= 4096 and len(ours) == n:
        lag = lag_of(x, ours)
        check(lag == 0, "%s: output lags the input by %s samples" % (tag, lag))
    if shutil.which("faad") and n > 0:
        r = run("faad", "-q", "-o", os.devnull, out)
        text = (r.stdout + r.stderr).decode(errors="replace")
        check(r.returncode == 0 and "rror" not in text, "%s: faad: %s" % (tag, text.strip()[:200]))


def main():
    if not shutil.which("ffmpeg") or not shutil.which("ffprobe"):
        print("skip: ffmpeg/ffprobe missing")
        return 77
    os.makedirs(WORK, exist_ok=True)
    cases = [(44100, 2, n) for n in (0, 1, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 44177)]
    cases += [(8000, 1, 8005), (22050, 2, 33333), (32000, 1, 32001), (48000, 2, 62400 + 7),
              (96000, 2, 96000 + 1000), (48000, 6, 48000 + 333)]
    for rate, ch, n in cases:
        case(rate, ch, n, "r%d_c%d_n%d" % (rate, ch, n))
    print("%d cases, %d failures" % (len(cases), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
