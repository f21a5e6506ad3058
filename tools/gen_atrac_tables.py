#!/usr/bin/env python3
"""Generates codec/atrac3/atrac3_tables.c, the constant tables of the ATRAC3
decoder (codec/atrac3). The filterbank tables (IMLT window, IMDCT and FFT
twiddles, QMF window) are computed here too but written by
tools/gen_atrac_dsp_tables.py into simd/dsp_atrac_tables.c, where the
kernels that use them live. Run from the repository root:

    python3 tools/gen_atrac_tables.py > codec/atrac3/atrac3_tables.c

Tables with a formula are computed here; tables that are pure data of the
format (the QMF prototype half, the Huffman code lengths) are typed in below
with a note on where the fact comes from. Floats are printed with 9
significant digits, which round-trips a binary32 value exactly.
"""
import math
import struct


def f32(x):
    """Rounds a Python float to the nearest binary32 value."""
    return struct.unpack('<f', struct.pack('<f', x))[0]


def fmt(x):
    s = '%.9g' % f32(x)
    if 'e' not in s and '.' not in s and 'n' not in s:
        s += '.0'
    return s + 'f'


def emit_floats(name, values, per_line=4, comment=None):
    out = []
    if comment:
        out.append('/* %s */' % comment)
    out.append('const float %s[%d] = {' % (name, len(values)))
    for i in range(0, len(values), per_line):
        out.append('    ' + ', '.join(fmt(v) for v in values[i:i + per_line]) + ',')
    out.append('};')
    out.append('')
    return out


# Scale factors: 2^((i - 15) / 3), i = 0..63 (the ATRAC scale factor index
# steps by 2 dB; index 15 is unity). Shared by ATRAC1 and ATRAC3.
SF = [2.0 ** ((i - 15) / 3.0) for i in range(64)]

# The MDCT window of the 512-point ATRAC3 IMLT. The encoder window is
# w(i) = (sin(((i + 0.5) / 256 - 0.5) * pi) + 1) / 2 over 256 points,
# mirrored; the decoder window divides it by w(i)^2 + w(255 - i)^2 so that
# analysis and synthesis together reconstruct perfectly (Princen-Bradley).
# Written here as wi / (0.5 * (wi^2 + wj^2)) with wi = 2 w(i), the same value.
WIN = [0.0] * 512
for i in range(256):
    j = 255 - i
    wi = f32(math.sin(((i + 0.5) / 256.0 - 0.5) * math.pi) + 1.0)
    wj = f32(math.sin(((j + 0.5) / 256.0 - 0.5) * math.pi) + 1.0)
    w = 0.5 * (wi * wi + wj * wj)
    WIN[i] = WIN[511 - i] = wi / w

# IMDCT through a 128-point complex FFT (see atrac3_dsp.c for the
# derivation): pre-twiddle e^{i pi p / 256}, post-twiddle
# e^{i pi (q + 1/4) / 256}, FFT twiddles e^{i 2 pi k / 128}.
PRE_COS = [math.cos(math.pi * p / 256.0) for p in range(128)]
PRE_SIN = [math.sin(math.pi * p / 256.0) for p in range(128)]
POST_COS = [math.cos(math.pi * (q + 0.25) / 256.0) for q in range(128)]
POST_SIN = [math.sin(math.pi * (q + 0.25) / 256.0) for q in range(128)]
FFT_COS = [math.cos(2.0 * math.pi * k / 128.0) for k in range(64)]
FFT_SIN = [math.sin(2.0 * math.pi * k / 128.0) for k in range(64)]

# Gain control: level code L means a gain of 2^(4 - L) (code 4 is unity);
# between two points the gain moves over 8 samples by 2^(-d/8) per sample,
# d = next code - this code, d in -15..15.
GAIN_LEVEL = [2.0 ** (4 - i) for i in range(16)]
GAIN_STEP = [2.0 ** (-d / 8.0) for d in range(-15, 16)]

# The 48-tap QMF prototype, first half (the filter is symmetric). Pure data
# of the ATRAC format, as listed in FFmpeg's libavcodec/atrac.c
# (qmf_48tap_half) and atracdenc's QMF. The synthesis window is twice the
# prototype, mirrored.
QMF_HALF = [
    -0.00001461907, -0.00009205479, -0.000056157569, 0.00030117269,
    0.0002422519, -0.00085293897, -0.0005205574, 0.0020340169,
    0.00078333891, -0.0042153862, -0.00075614988, 0.0078402944,
    -0.000061169922, -0.01344162, 0.0024626821, 0.021736089,
    -0.007801671, -0.034090221, 0.01880949, 0.054326009,
    -0.043596379, -0.099384367, 0.13207909, 0.46424159,
]
QMF = [0.0] * 48
for i in range(24):
    s = f32(QMF_HALF[i]) * 2.0
    QMF[i] = QMF[47 - i] = s

# Spectral Huffman codes, one per quantiser selector 1..7, as (value, code
# length) in canonical code order: the first code is all zeros and each next
# code is the previous plus one, left-aligned at its length. Values are
# signed mantissas, except selector 1 whose values 0..8 index a pair of
# mantissas. Pure data of the format (FFmpeg libavcodec/atrac3data.h,
# atrac3_hufftabs, stores them with a +31 offset).
HUFF = [
    [(0, 1), (1, 3), (2, 3), (3, 4), (4, 4), (5, 5), (6, 5), (7, 5), (8, 5)],
    [(0, 1), (1, 3), (-1, 3), (2, 3), (-2, 3)],
    [(0, 1), (1, 3), (-1, 3), (2, 4), (-2, 4), (3, 4), (-3, 4)],
    [(0, 1), (1, 3), (-1, 3), (2, 4), (-2, 4), (3, 5), (-3, 5), (4, 5), (-4, 5)],
    [(0, 2), (1, 3), (-1, 3), (2, 4), (-2, 4), (3, 4), (-3, 4), (7, 4), (-7, 4),
     (4, 5), (-4, 5), (5, 6), (-5, 6), (6, 6), (-6, 6)],
    [(0, 3), (1, 4), (-1, 4), (2, 4), (-2, 4), (3, 4), (-3, 4), (15, 4), (-15, 4),
     (4, 5), (-4, 5), (5, 5), (-5, 5), (6, 5), (-6, 5), (7, 6), (-7, 6), (8, 6),
     (-8, 6), (9, 6), (-9, 6), (10, 6), (-10, 6), (11, 7), (-11, 7), (12, 7),
     (-12, 7), (13, 7), (-13, 7), (14, 7), (-14, 7)],
    [(0, 3), (31, 4), (-31, 4)] +
    [x for v in range(1, 6) for x in ((v, 5), (-v, 5))] +
    [x for v in range(6, 14) for x in ((v, 6), (-v, 6))] +
    [(14, 7), (-14, 7)] +
    [x for v in range(15, 21) for x in ((v, 7), (-v, 7))] +
    [x for v in range(21, 31) for x in ((v, 8), (-v, 8))],
]
HUFF_BITS = 8  # the longest code


def huff_lut(codes):
    """A 256-entry lookup on the next 8 bits: (value, length)."""
    lut = [None] * (1 << HUFF_BITS)
    code = 0
    prev_len = codes[0][1]
    for n, (value, length) in enumerate(codes):
        if n:
            code = (code + 1) << (length - prev_len)
        prev_len = length
        first = code << (HUFF_BITS - length)
        for k in range(1 << (HUFF_BITS - length)):
            assert lut[first + k] is None
            lut[first + k] = (value, length)
    # The codes are complete (Kraft sum 1): every 8-bit prefix decodes.
    assert all(e is not None for e in lut)
    return lut


def main():
    out = ['/* GENERATED by tools/gen_atrac_tables.py: do not edit. */',
           '#include "codec/atrac3/atrac3_tables.h"', '']
    out += emit_floats('atrac3_sf_table', SF, comment='2^((i - 15) / 3)')
    out += emit_floats('atrac3_gain_level', GAIN_LEVEL, comment='2^(4 - code)')
    out += emit_floats('atrac3_gain_step', GAIN_STEP,
                       comment='2^(-d / 8), index d + 15')
    out.append('/* Spectral Huffman lookup on the next 8 bits: {value, code length}. */')
    out.append('const atrac3_huff_entry atrac3_huff_lut[7][256] = {')
    for codes in HUFF:
        lut = huff_lut(codes)
        out.append('    {')
        for i in range(0, 256, 8):
            out.append('        ' + ' '.join('{%d, %d},' % e for e in lut[i:i + 8]))
        out.append('    },')
    out.append('};')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
