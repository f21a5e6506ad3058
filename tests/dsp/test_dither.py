#!/usr/bin/env python3
"""Acceptance test of the dither (dsp/dither.c) through dsp_tool.

A 1 kHz sine at -90 dBFS, 6 s at 44.1 kHz, is written as 24-bit PCM (made
here, at test time) and requantised to 16 bits with each mode. At -90 dBFS
the sine is about one 16-bit LSB, where undithered rounding turns it into
a few coarse steps rich in harmonics.

Spectra: Welch averages of 16384-point periodograms, 4-term Blackman-Harris
window (sidelobes -92 dB), 50 % overlap, about 30 frames. For each
harmonic 2..10 the level is the largest bin within +-3 bins of k x 1 kHz;
the floor is the median bin level within +-300 Hz of it, leaving out the
+-10 bins around it. Margin 3 dB: with ~30 averaged frames (about 55
degrees of freedom for a chi-square bin estimate) one bin's estimate has a
standard deviation near 0.8 dB, so the largest of the 63 bins examined
sits under +2.5 dB from the true floor with probability > 0.9999; the
dither is seeded, so the result is also reproducible.

Asserted:
* TPDF: no harmonic above floor + 3 dB, and every output sample on the
  16-bit grid;
* none (plain rounding): harmonics well above the floor (the test can fail
  when the dither is missing);
* shaped: the noise from 100 Hz to 4 kHz (the tone excluded) is lower than
  TPDF's by at least the margin docs/dsp.md claims.

Usage: test_dither.py DSP_TOOL WORKDIR [--report]
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import read_wav, write_wav  # noqa: E402

RATE = 44100
TONE = 1000.0
N = 16384
MARGIN_DB = 3.0
SHAPED_GAIN_DB = 25.0  # docs/dsp.md: shaped noise below 4 kHz is >= 25 dB under TPDF's


def blackman_harris(n):
    k = 2 * np.pi * np.arange(n) / n
    return 0.35875 - 0.48829 * np.cos(k) + 0.14128 * np.cos(2 * k) - 0.01168 * np.cos(3 * k)


def welch(x):
    w = blackman_harris(N)
    frames = [x[i:i + N] * w for i in range(0, len(x) - N + 1, N // 2)]
    psd = np.mean([np.abs(np.fft.rfft(f)) ** 2 for f in frames], axis=0)
    return 10 * np.log10(psd + 1e-300), len(frames)


def harmonics(spec_db):
    bin_hz = RATE / N
    rows = []
    for k in range(2, 11):
        c = int(round(k * TONE / bin_hz))
        level = spec_db[c - 3:c + 4].max()
        half = int(300 / bin_hz)
        around = np.r_[spec_db[c - half:c - 10], spec_db[c + 11:c + half + 1]]
        rows.append((k, level, float(np.median(around))))
    return rows


def band_noise_db(spec_db, lo, hi):
    bin_hz = RATE / N
    idx = np.arange(int(lo / bin_hz), int(hi / bin_hz))
    c = int(round(TONE / bin_hz))
    idx = idx[np.abs(idx - c) > 20]
    return 10 * np.log10(np.mean(10 ** (spec_db[idx] / 10)))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 64
    tool, workdir = sys.argv[1], sys.argv[2]
    report = "--report" in sys.argv
    os.makedirs(workdir, exist_ok=True)
    t = np.arange(6 * RATE) / RATE
    amp = 10 ** (-90 / 20)
    src = os.path.join(workdir, "sine_-90dBFS_s24.wav")
    write_wav(src, amp * np.sin(2 * np.pi * TONE * t), RATE, "s24")

    spectra, failures = {}, []
    for mode in ("tpdf", "none", "shaped"):
        dst = os.path.join(workdir, f"out_{mode}.wav")
        subprocess.run([tool, "dither", src, dst, "16", mode, "12345"], check=True)
        y, rate = read_wav(dst)
        y = y[:, 0]
        assert rate == RATE and len(y) == len(t), (rate, len(y))
        codes = y * 32768.0
        if not np.all(codes == np.round(codes)):
            failures.append(f"{mode}: output not on the 16-bit grid")
        spectra[mode], frames = welch(y)

    for mode in ("tpdf", "none"):
        rows = harmonics(spectra[mode])
        print(f"{mode}: harmonic level over floor (dB):",
              " ".join(f"H{k}:{lvl - flr:+.1f}" for k, lvl, flr in rows))
        above = [k for k, lvl, flr in rows if lvl > flr + MARGIN_DB]
        if mode == "tpdf" and above:
            failures.append(f"tpdf: harmonics {above} above the noise floor + {MARGIN_DB} dB")
        if mode == "none" and len(above) < 3:
            failures.append(f"none: only harmonics {above} above the floor; "
                            "the test could not tell dither from none")
    tpdf_lo = band_noise_db(spectra["tpdf"], 100, 4000)
    shaped_lo = band_noise_db(spectra["shaped"], 100, 4000)
    tpdf_hi = band_noise_db(spectra["tpdf"], 16000, 20000)
    shaped_hi = band_noise_db(spectra["shaped"], 16000, 20000)
    print(f"noise 100 Hz-4 kHz: shaped {shaped_lo - tpdf_lo:+.1f} dB vs tpdf; "
          f"16-20 kHz: shaped {shaped_hi - tpdf_hi:+.1f} dB vs tpdf ({frames} frames)")
    if shaped_lo > tpdf_lo - SHAPED_GAIN_DB:
        failures.append(f"shaped noise below 4 kHz only {tpdf_lo - shaped_lo:.1f} dB under tpdf")
    if failures and not report:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
