#!/usr/bin/env python3
"""Acceptance test of the libsoxr resampler (dsp/resample.c) at each quality,
44.1 <-> 48 kHz, through dsp_tool.

For each direction and quality one input file is made of segments (each
faded in and out over 20 ms, analysed well inside its steady part):

* passband: 30 tones, log spaced from 20 Hz to 0.9 x the lower Nyquist
  (19845 Hz), -34 dBFS each; the amplitude response is the level of each
  tone at the output over its level at the input, both measured by a
  Kaiser-windowed (beta 14) DFT evaluated exactly at the tone frequency;
  ripple = max - min over the tones, in dB;
* rejection: single tones at -6 dBFS. In the passband (1, 10, 15 and
  19.8 kHz) the figure is the tone over the largest other spectral peak
  (images of an upsampler land there); above the output Nyquist (22.5, 23,
  23.5 kHz when 48 -> 44.1) it is the input tone over the largest peak in
  the whole output, where its alias would be. Spectra use a Kaiser window
  with beta 20 (sidelobes below -180 dB) over 65536 samples, so the window
  itself cannot limit figures of 100+ dB.

The output length must be round(in * out_rate / in_rate), half up.

Usage: test_resample.py DSP_TOOL WORKDIR [--report]
  --report prints the table for docs/dsp.md and does not assert.
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import read_wav, write_wav  # noqa: E402

QUALITIES = ["quick", "low", "medium", "high", "very-high"]
# What docs/dsp.md claims, per quality: (max ripple dB, min rejection dB).
# "low" and "quick" roll off well below 0.9 x Nyquist, so their "ripple" is
# mostly that roll-off. The bounds sit a little outside the measured
# figures (docs/dsp.md) so that a libsoxr SIMD path change does not trip
# them, while a wrong recipe mapping (e.g. high -> medium) does.
CLAIMS = {
    "quick": (8.0, 3.0),
    "low": (25.0, 90.0),
    "medium": (0.3, 105.0),
    "high": (0.02, 125.0),
    "very-high": (0.01, 145.0),
}
FADE_S = 0.02
N_FFT = 65536
PASS_TONES = np.geomspace(20.0, 0.9 * 22050.0, 30)
PASS_AMP = 0.02
TONE_AMP = 0.5
INBAND_TONES = [1000.0, 10000.0, 15000.0, 19800.0]
ALIAS_TONES = [22500.0, 23000.0, 23500.0]


def faded(x, rate):
    n = int(FADE_S * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    x = x.copy()
    x[:n] *= ramp
    x[-n:] *= ramp[::-1]
    return x


def build_input(in_rate, out_rate):
    """Returns (signal, list of (kind, start_s, length_s, freqs))."""
    rng = np.random.default_rng(1234)
    segments, parts, t0 = [], [], 0.0
    # Passband: long enough for 131072 output samples plus margins.
    dur = 3.8
    t = np.arange(int(dur * in_rate)) / in_rate
    phases = rng.uniform(0, 2 * np.pi, len(PASS_TONES))
    x = sum(PASS_AMP * np.sin(2 * np.pi * f * t + p) for f, p in zip(PASS_TONES, phases))
    parts.append(faded(x, in_rate))
    segments.append(("pass", t0, dur, list(PASS_TONES)))
    t0 += dur
    tones = [("inband", f) for f in INBAND_TONES]
    if out_rate < in_rate:
        tones += [("alias", f) for f in ALIAS_TONES]
    dur = 2.0
    for kind, f in tones:
        t = np.arange(int(dur * in_rate)) / in_rate
        parts.append(faded(TONE_AMP * np.sin(2 * np.pi * f * t + 0.3), in_rate))
        segments.append((kind, t0, dur, [f]))
        t0 += dur
    return np.concatenate(parts), segments


def window_slice(x, rate, start_s, length_s, n):
    centre = int((start_s + length_s / 2) * rate)
    a = centre - n // 2
    return x[a:a + n]


def tone_amplitude(x, rate, f, beta=14.0):
    w = np.kaiser(len(x), beta)
    n = np.arange(len(x))
    return 2.0 * abs(np.sum(x * w * np.exp(-2j * np.pi * f / rate * n))) / np.sum(w)


def spectrum_amplitude(x, beta=20.0):
    w = np.kaiser(len(x), beta)
    return 2.0 * np.abs(np.fft.rfft(x * w)) / np.sum(w)


def measure(tool, workdir, in_rate, out_rate, quality):
    x, segments = build_input(in_rate, out_rate)
    src = os.path.join(workdir, f"in_{in_rate}.wav")
    dst = os.path.join(workdir, f"out_{in_rate}_{out_rate}_{quality}.wav")
    if not os.path.exists(src):
        write_wav(src, x, in_rate, "f32")
    subprocess.run([tool, "resample", src, dst, str(out_rate), quality], check=True)
    y, rate = read_wav(dst)
    assert rate == out_rate, rate
    y = y[:, 0]
    want = (len(x) * out_rate + in_rate // 2) // in_rate
    assert len(y) == want, f"{quality}: {len(y)} output frames, want {want}"
    ripple, rejection = None, np.inf
    for kind, start, length, freqs in segments:
        if kind == "pass":
            n_in = int(131072 * in_rate / out_rate)
            xi = window_slice(x, in_rate, start, length, n_in)
            yo = window_slice(y, out_rate, start, length, 131072)
            gains = [20 * np.log10(tone_amplitude(yo, out_rate, f) / tone_amplitude(xi, in_rate, f))
                     for f in freqs]
            ripple = max(gains) - min(gains)
            continue
        f = freqs[0]
        yo = window_slice(y, out_rate, start, length, N_FFT)
        spec = spectrum_amplitude(yo)
        if kind == "inband":
            k = int(round(f * N_FFT / out_rate))
            carrier = spec[max(k - 12, 0):k + 13].max()
            others = spec.copy()
            others[max(k - 12, 0):k + 13] = 0.0
            figure = 20 * np.log10(carrier / max(others.max(), 1e-300))
        else:
            figure = 20 * np.log10(TONE_AMP / max(spec.max(), 1e-300))
        rejection = min(rejection, figure)
    return ripple, rejection


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 64
    tool, workdir = sys.argv[1], sys.argv[2]
    report = "--report" in sys.argv
    os.makedirs(workdir, exist_ok=True)
    failures = []
    print("| quality | 44.1->48 ripple dB | 44.1->48 rejection dB | 48->44.1 ripple dB | 48->44.1 rejection dB |")
    print("|---|---|---|---|---|")
    for q in QUALITIES:
        row = [q]
        for in_rate, out_rate in ((44100, 48000), (48000, 44100)):
            ripple, rejection = measure(tool, workdir, in_rate, out_rate, q)
            row += [f"{ripple:.4f}", f"{rejection:.1f}"]
            max_ripple, min_rejection = CLAIMS[q]
            if max_ripple is not None and ripple > max_ripple:
                failures.append(f"{q} {in_rate}->{out_rate}: ripple {ripple:.4f} dB > {max_ripple}")
            if min_rejection is not None and rejection < min_rejection:
                failures.append(f"{q} {in_rate}->{out_rate}: rejection {rejection:.1f} dB < {min_rejection}")
        print("| " + " | ".join(row) + " |")
    if failures and not report:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
