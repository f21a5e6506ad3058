#!/usr/bin/env python3
"""tests/aac/aac_psnr.py - the own AAC-LC decoder (tests/aac/aac_tool over
codec/aac) against FFmpeg's native float AAC decoder on ADTS streams made
at test time by FFmpeg's AAC encoder, from ../shared/corpus clips and
lavfi signals, across coders, tools (TNS, PNS, intensity, M/S), bit rates
32..320k, sample rates 8000..96000 and mono/stereo/5.1.

Both decodes keep everything: FFmpeg's ADTS decode outputs the 1024-frame
encoder priming too (there is no gapless metadata in ADTS), so the two
outputs have the same length and are compared sample for sample; the test
asserts equal lengths. Per stream it asserts
  PSNR = 10 log10(1 / mean squared error), 1.0 = full scale, >= 90 dB, and
  |ours - ffmpeg| <= 1 LSB after conversion to s16 on >= 99.9 % of samples.

    aac_psnr.py AAC_TOOL CORPUS_DIR
"""
import array
import math
import os
import subprocess
import sys
import tempfile

# (name, source, seconds, channels, rate, encoder options)
STREAMS = [
    ('orchestral_44k_128k_twoloop', 'orchestral_dense.flac', 4, 2, 44100,
     ['-aac_coder', 'twoloop', '-b:a', '128k']),
    ('speech_22k_mono_32k_fast', 'speech_espeak.flac', 4, 1, 22050,
     ['-aac_coder', 'fast', '-b:a', '32k']),
    ('drums_48k_256k_tns_ms', 'drums_acoustic.flac', 4, 2, 48000,
     ['-aac_coder', 'twoloop', '-aac_tns', '1', '-aac_ms', '1', '-b:a', '256k']),
    ('pink_44k_64k_pns_is', 'pink_noise.flac', 3, 2, 44100,
     ['-aac_coder', 'twoloop', '-aac_pns', '1', '-aac_is', '1', '-b:a', '64k']),
    ('quiet_32k_96k_fast_is_ms', 'orchestral_quiet.flac', 3, 2, 32000,
     ['-aac_coder', 'fast', '-aac_is', '1', '-aac_ms', '1', '-b:a', '96k']),
    ('sweep_96k_320k', 'sine_sweep.flac', 2, 2, 96000, ['-b:a', '320k']),
    ('click_8k_mono_32k_tns', 'silence_click.flac', 3, 1, 8000,
     ['-aac_tns', '1', '-b:a', '32k']),
    ('midi_16k_48k_pns', 'midi_fluidsynth.flac', 3, 2, 16000,
     ['-aac_pns', '1', '-b:a', '48k']),
]
# lavfi 5.1 (back; channel configuration 6): six different signals (tones,
# noise, a gated tone). FFmpeg writes 5.1(side) with a PCE whose layout its own
# decoder reports as unknown, so that one is not an oracle case.
LAVFI_51 = ('sine=f=220:r=48000,aformat=channel_layouts=mono[a0];'
            'sine=f=330:r=48000[a1];sine=f=440:r=48000[a2];'
            'anoisesrc=r=48000:a=0.1:c=pink[a3];sine=f=50:r=48000[a4];'
            'aevalsrc=0.3*sin(2*PI*1000*t)*gt(mod(t\\,0.5)\\,0.45):s=48000[a5];'
            '[a0][a1][a2][a3][a4][a5]join=inputs=6:channel_layout=5.1')


def read_f32(path):
    a = array.array('f')
    with open(path, 'rb') as f:
        a.frombytes(f.read())
    return a


def s16(v):
    x = round(v * 32768.0)
    return 32767 if x > 32767 else -32768 if x < -32768 else x


def compare(name, ours, ref):
    if len(ours) != len(ref):
        return 'FAIL %s: %d samples, ffmpeg %d' % (name, len(ours), len(ref))
    n = len(ref)
    se = 0.0
    off = 0
    for x, y in zip(ours, ref):
        d = x - y
        se += d * d
        if abs(s16(x) - s16(y)) > 1:
            off += 1
    mse = se / max(n, 1)
    psnr = 10 * math.log10(1.0 / mse) if mse > 0 else float('inf')
    within = 100.0 * (n - off) / max(n, 1)
    ok = psnr >= 90.0 and within >= 99.9
    return '%s %s: PSNR %.1f dB, %.4f %% within 1 LSB, %d samples' % (
        'ok  ' if ok else 'FAIL', name, psnr, within, n)


def main():
    tool, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        print('skipped: ../shared/corpus not present')
        return 0
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(n, ['-i', os.path.join(corpus, src), '-t', str(sec), '-ac', str(ch),
                     '-ar', str(rate)] + opts) for n, src, sec, ch, rate, opts in STREAMS]
        jobs.append(('lavfi_51_48k_320k', ['-f', 'lavfi', '-i', LAVFI_51, '-t', '3',
                                           '-b:a', '320k']))
        jobs.append(('lavfi_51_48k_160k_fast_pns', ['-f', 'lavfi', '-i', LAVFI_51, '-t', '2',
                                                    '-aac_coder', 'fast', '-aac_pns', '1',
                                                    '-b:a', '160k']))
        for name, args in jobs:
            adts = os.path.join(tmp, name + '.aac')
            mine = os.path.join(tmp, name + '.ours.f32')
            ref = os.path.join(tmp, name + '.ref.f32')
            subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-y'] + args +
                           ['-c:a', 'aac', '-f', 'adts', adts], check=True)
            subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', adts,
                            '-f', 'f32le', ref], check=True)
            r = subprocess.run([tool, adts, mine, 'f32', 'strict'])
            if r.returncode != 0:
                print('FAIL %s: aac_tool exit %d' % (name, r.returncode))
                failures += 1
                continue
            line = compare(name, read_f32(mine), read_f32(ref))
            print(line, flush=True)
            failures += line.startswith('FAIL')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
