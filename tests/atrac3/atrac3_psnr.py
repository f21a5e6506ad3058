#!/usr/bin/env python3
"""ATRAC3 accuracy against FFmpeg: decodes every ATRAC3 fixture of
../shared/fixtures/atrac with atrac3_tool (s16, FFmpeg's rounding) and
requires PSNR >= 90 dB (peak 32767) against FFmpeg's decode of the same
stream: the committed-beside ref_ffmpeg_*.wav files, and for the others
`ffmpeg -i FILE -f s16le -` when ffmpeg is installed. The lengths must
match exactly (FFmpeg decodes every frame and keeps the encoder delay).

usage: atrac3_psnr.py ATRAC3_TOOL FIXTURE_DIR
"""
import array
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

MIN_PSNR = 90.0

STREAMS = [
    # (file, reference wav or None, FFmpeg md5 from the fixture README)
    ('at3_lp2_music_10s.oma', 'ref_ffmpeg_at3_lp2_music_10s.wav'),
    ('at3_lp2_music_10s.at3', 'ref_ffmpeg_at3_lp2_music_10s.wav'),
    ('at3_lp4_music_10s.oma', 'ref_ffmpeg_at3_lp4_music_10s.wav'),
    ('at3_lp4_music_10s.at3', 'ref_ffmpeg_at3_lp4_music_10s.wav'),
    ('at3_105k_music_10s.oma', None),
    ('at3_lp2_speech_5s.oma', None),
    ('at3_lp2_speech_5s.at3', None),
    ('at3_lp4_speech_5s.oma', None),
    ('at3_lp4_speech_5s.at3', None),
    ('at3_lp2_sweep_5s.oma', None),
    ('at3_lp2_sweep_5s.at3', None),
    ('at3_lp4_sweep_5s.oma', None),
    ('at3_lp4_sweep_5s.at3', None),
]


def wav_pcm(path):
    data = open(path, 'rb').read()
    pos = 12
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], struct.unpack('<I', data[pos + 4:pos + 8])[0]
        if tag == b'data':
            return data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    raise ValueError('%s: no data chunk' % path)


def psnr(ours, ref):
    a = array.array('h')
    a.frombytes(ours)
    b = array.array('h')
    b.frombytes(ref)
    if len(a) != len(b):
        return None, 'length %d samples, FFmpeg %d' % (len(a), len(b))
    err = sum((x - y) * (x - y) for x, y in zip(a, b))
    if err == 0:
        return float('inf'), 'identical'
    mse = err / len(a)
    exact = sum(1 for x, y in zip(a, b) if x == y) / len(a)
    return 10.0 * math.log10(32767.0 ** 2 / mse), '%.2f%% samples identical' % (100 * exact)


def main():
    tool, fixtures = sys.argv[1], sys.argv[2]
    if not os.path.isdir(fixtures):
        print('skipped: ../shared/fixtures/atrac not present')
        return 0
    ffmpeg = shutil.which('ffmpeg')
    failed = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, ref_wav in STREAMS:
            src = os.path.join(fixtures, name)
            if not os.path.exists(src):
                print('%-26s skipped: not present' % name)
                continue
            if ref_wav and os.path.exists(os.path.join(fixtures, ref_wav)):
                ref = wav_pcm(os.path.join(fixtures, ref_wav))
                how = ref_wav
            elif ffmpeg:
                ref = subprocess.run([ffmpeg, '-v', 'error', '-i', src, '-f', 's16le', '-'],
                                     check=True, stdout=subprocess.PIPE).stdout
                how = 'ffmpeg'
            else:
                print('%-26s skipped: no reference decode (no ffmpeg)' % name)
                continue
            out = os.path.join(tmp, 'out.raw')
            r = subprocess.run([tool, src, out, 's16'])
            if r.returncode != 0:
                print('%-26s FAIL: atrac3_tool exit %d' % (name, r.returncode))
                failed += 1
                continue
            value, note = psnr(open(out, 'rb').read(), ref)
            checked += 1
            if value is None or value < MIN_PSNR:
                print('%-26s FAIL: %s (%s)' % (name, 'PSNR %.2f dB' % value if value else '', note))
                failed += 1
            else:
                print('%-26s PSNR %7.2f dB vs %s (%s)' % (name, value, how, note))
    if checked == 0:
        print('skipped: no ATRAC3 fixture could be checked')
        return 0
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
