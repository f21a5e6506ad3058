#!/usr/bin/env python3
"""tests/aac/aac_psnr.py - segue's AAC-LC decoding against FFmpeg's native
float AAC decoder (libavcodec "aac"), on streams FFmpeg's own encoder makes
at test time from ../shared/corpus clips and lavfi signals, each in ADTS and
in M4A (the acceptance matrix of the AAC decoder).

Decoding goes through the public API (the MP4 test tool's `decode`
command: segue_decoder_open, probing, the demuxer, the decoder, the gapless
trim), so ADTS runs through segue's ADTS demuxer and M4A through its MP4
demuxer:
  - ADTS carries no gapless information: both decoders output every frame,
    the 1024-frame encoder priming included.
  - M4A: segue trims by the edit list (gapless on, the default) and must
    give exactly the source length; FFmpeg's mov demuxer applies the same
    edit list's start (the priming) but, in FFmpeg 5.1, not its end: it
    also outputs the encoder padding past segment_duration (under 2048
    frames), which is cut before comparing.
The outputs must then have equal lengths and are compared sample for
sample.
Per stream and container it asserts
  PSNR = 10 log10(1 / mean squared error), 1.0 = full scale, >= 90 dB, and
  |segue - ffmpeg| <= 1 LSB after conversion to s16 on >= 99.9 % of samples,
and prints both figures and the minimum of each per container.

Stream design (a covering design, not the full cartesian product): FFmpeg's
encoder defaults are TNS, PNS and intensity on and M/S automatic, so every
stream sets all four explicitly. For each coder (twoloop, fast) there is a
stream with every tool off, one with every tool on, and one per tool with
only that tool on; so each tool is seen on and off with each coder, and
alone (the on-with-everything stream cannot hide a tool's error behind
another's). The streams are spread over the sample rates 8, 22.05, 44.1,
48 and 96 kHz (plus 16 and 32 kHz), mono, stereo and 5.1, and bit rates
from 32k to 320k (both ends each appear more than once):

  name            coder   TNS PNS IS MS  rate   ch   kbps  source
  tl_none         twoloop  0   0  0  0  44100   2   128   orchestral_dense
  tl_all          twoloop  1   1  1  a  44100   2    96   pink_noise
  tl_tns          twoloop  1   0  0  0  96000   2   320   sine_sweep
  tl_pns          twoloop  0   1  0  0  22050   1    32   speech_espeak
  tl_is           twoloop  0   0  1  0  48000   2    64   orchestral_dense
  tl_ms           twoloop  0   0  0  1  44100   2   160   drums_acoustic
  fa_none         fast     0   0  0  0  48000   2   320   drums_acoustic
  fa_all          fast     1   1  1  a  22050   2    64   orchestral_quiet
  fa_tns          fast     1   0  0  0   8000   1    32   silence_click
  fa_pns          fast     0   1  0  0  44100   2    96   midi_fluidsynth
  fa_is           fast     0   0  1  0  32000   2    64   pink_noise
  fa_ms           fast     0   0  0  1  96000   2   192   orchestral_quiet
  tl_mono_8k      twoloop  1   1  0  0   8000   1    32   speech_espeak
  tl_51           twoloop  1   0  1  a  48000  5.1  320   lavfi (six signals)
  fa_51           fast     0   1  0  0  48000  5.1  160   lavfi (six signals)
  tl_16k          twoloop  1   1  1  0  16000   2    48   midi_fluidsynth
  tl_ms_is        twoloop  0   0  1  1  44100   2   128   drums_acoustic   *
  fa_ms_is        fast     1   0  1  1  48000   2    96   orchestral_quiet *

M/S "a" is the encoder's per-band choice (ms_mask_present 1 or 0); "1"
forces it (ms_mask_present 2 in most common-window frames, 0 in frames
with nothing coded; checked in each ADTS stream). M/S forced
together with intensity (*) is the one combination where libavcodec and
ISO/IEC 14496-3 part ways: intensity bands are sign-inverted by libavcodec
and not by the standard's invert_intensity() (4.6.8.2.3), which faad2
follows. Those streams are asserted against whichever of the two codec/aac
follows (MS2_IS_SIGN below) and reported against the other; see
docs/aac.md. Every other stream is asserted against libavcodec here and,
where faad is an oracle for it (no PNS, 32 kHz and up, mono/stereo),
against faad in aac_faad.py.

Clips are 2-3 s, so the whole matrix (32 decodes each side) stays around a
minute.

    aac_psnr.py DECODE_TOOL CORPUS_DIR
      DECODE_TOOL: tests/mp4's mp4demux_tool (`decode IN OUT.f32`)
"""
import array
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:  # the comparison falls back to plain Python
    np = None


def opts(coder, tns, pns, is_, ms, kbps):
    """Encoder options; ms None leaves M/S to the encoder's per-band choice."""
    return ['-aac_coder', coder, '-aac_tns', str(tns), '-aac_pns', str(pns),
            '-aac_is', str(is_)] + ([] if ms is None else ['-aac_ms', str(ms)]) + \
        ['-b:a', '%dk' % kbps]


def ms2_with_is(o):
    """Forced M/S (FFmpeg then writes ms_mask_present 2) with intensity on."""
    return '-aac_ms' in o and o[o.index('-aac_ms') + 1] == '1' and o[o.index('-aac_is') + 1] == '1'


# How codec/aac signs intensity-stereo bands when ms_mask_present is 2.
# ISO/IEC 14496-3 4.6.8.2.3: invert_intensity(g, sfb) is 1 - 2 ms_used only
# when ms_mask_present == 1, else 1; libavcodec (5.1) also inverts for
# ms_mask_present == 2 (it sets every ms_used and tests ms_present != 0).
# faad2 follows the clause and rebuilds the right channel closer to the
# source (docs/aac.md), and codec/aac follows it too: 'spec'. The
# forced-M/S-with-intensity streams are therefore asserted against faad
# (aac_faad.py) and only reported against libavcodec here ('libavcodec'
# would swap the two).
MS2_IS_SIGN = 'spec'


# (name, source, seconds, channels, rate, encoder options)
STREAMS = [
    ('tl_none', 'orchestral_dense.flac', 3, 2, 44100, opts('twoloop', 0, 0, 0, 0, 128)),
    ('tl_all', 'pink_noise.flac', 3, 2, 44100, opts('twoloop', 1, 1, 1, None, 96)),
    ('tl_tns', 'sine_sweep.flac', 2, 2, 96000, opts('twoloop', 1, 0, 0, 0, 320)),
    ('tl_pns', 'speech_espeak.flac', 3, 1, 22050, opts('twoloop', 0, 1, 0, 0, 32)),
    ('tl_is', 'orchestral_dense.flac', 3, 2, 48000, opts('twoloop', 0, 0, 1, 0, 64)),
    ('tl_ms', 'drums_acoustic.flac', 3, 2, 44100, opts('twoloop', 0, 0, 0, 1, 160)),
    ('fa_none', 'drums_acoustic.flac', 3, 2, 48000, opts('fast', 0, 0, 0, 0, 320)),
    ('fa_all', 'orchestral_quiet.flac', 3, 2, 22050, opts('fast', 1, 1, 1, None, 64)),
    ('fa_tns', 'silence_click.flac', 3, 1, 8000, opts('fast', 1, 0, 0, 0, 32)),
    ('fa_pns', 'midi_fluidsynth.flac', 3, 2, 44100, opts('fast', 0, 1, 0, 0, 96)),
    ('fa_is', 'pink_noise.flac', 3, 2, 32000, opts('fast', 0, 0, 1, 0, 64)),
    ('fa_ms', 'orchestral_quiet.flac', 2, 2, 96000, opts('fast', 0, 0, 0, 1, 192)),
    ('tl_mono_8k', 'speech_espeak.flac', 3, 1, 8000, opts('twoloop', 1, 1, 0, 0, 32)),
    ('tl_16k', 'midi_fluidsynth.flac', 3, 2, 16000, opts('twoloop', 1, 1, 1, 0, 48)),
    ('tl_ms_is', 'drums_acoustic.flac', 3, 2, 44100, opts('twoloop', 0, 0, 1, 1, 128)),
    ('fa_ms_is', 'orchestral_quiet.flac', 3, 2, 48000, opts('fast', 1, 0, 1, 1, 96)),
]
# lavfi 5.1 (back; channel configuration 6): six different signals (tones,
# noise, a gated tone). FFmpeg writes 5.1(side) with a PCE whose layout its own
# decoder reports as unknown, so that one is not an oracle case.
LAVFI_51 = ('sine=f=220:r=48000,aformat=channel_layouts=mono[a0];'
            'sine=f=330:r=48000[a1];sine=f=440:r=48000[a2];'
            'anoisesrc=r=48000:a=0.1:c=pink[a3];sine=f=50:r=48000[a4];'
            'aevalsrc=0.3*sin(2*PI*1000*t)*gt(mod(t\\,0.5)\\,0.45):s=48000[a5];'
            '[a0][a1][a2][a3][a4][a5]join=inputs=6:channel_layout=5.1')
LAVFI_STREAMS = [
    ('tl_51', 3, opts('twoloop', 1, 0, 1, None, 320)),
    ('fa_51', 2, opts('fast', 0, 1, 0, 0, 160)),
]
PSNR_MIN = 90.0
WITHIN_MIN = 99.9


def read_f32(path):
    a = array.array('f')
    with open(path, 'rb') as f:
        a.frombytes(f.read())
    return a


def s16(v):
    x = round(v * 32768.0)
    return 32767 if x > 32767 else -32768 if x < -32768 else x


def measure(ours, ref):
    """(PSNR dB, % of samples within 1 LSB at s16). FFmpeg's conversion to
    s16: x * 32768 rounded to nearest, clipped."""
    n = len(ref)
    if np is not None:
        a = np.frombuffer(ours, dtype=np.float32).astype(np.float64)
        b = np.frombuffer(ref, dtype=np.float32).astype(np.float64)
        mse = float(np.mean((a - b) ** 2)) if n else 0.0
        qa = np.clip(np.rint(a * 32768.0), -32768, 32767)
        qb = np.clip(np.rint(b * 32768.0), -32768, 32767)
        off = int(np.count_nonzero(np.abs(qa - qb) > 1))
    else:
        se, off = 0.0, 0
        for x, y in zip(ours, ref):
            se += (x - y) * (x - y)
            off += abs(s16(x) - s16(y)) > 1
        mse = se / max(n, 1)
    psnr = 10 * math.log10(1.0 / mse) if mse > 0 else float('inf')
    return psnr, 100.0 * (n - off) / max(n, 1)


def ms_modes(adts):
    """ms_mask_present of each stereo frame with a common window: the
    first bits of a raw_data_block that starts with a CPE (14496-3 4.4.2.1
    channel_pair_element, 4.4.2.6 ics_info, 1.A.2.2 adts_frame). So the
    design's M/S column is checked in the streams, not assumed."""
    with open(adts, 'rb') as f:
        d = f.read()
    modes, pos = {}, 0
    while pos + 9 <= len(d) and d[pos] == 0xFF:
        length = ((d[pos + 3] & 3) << 11) | (d[pos + 4] << 3) | (d[pos + 5] >> 5)
        start = pos + (7 if d[pos + 1] & 1 else 9)
        bits = int.from_bytes(d[start:start + 4], 'big')  # the fields fit in 32 bits
        pos += max(length, 7)
        if bits >> 29 != 1 or not (bits >> 24) & 1:  # not a CPE, or no common window
            continue
        short = (bits >> 21) & 3 == 2  # window_sequence EIGHT_SHORT_SEQUENCE
        # ics_reserved_bit, window_sequence 2, window_shape 1, then max_sfb
        # 4 + scale_factor_grouping 7 (short) or max_sfb 6 + predictor 1.
        mode = (bits >> (24 - 4 - 11 - 2 if short else 24 - 4 - 7 - 2)) & 3
        modes[mode] = modes.get(mode, 0) + 1
    return modes


def ffmpeg(*args):
    subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-y'] + list(args), check=True)


def main():
    tool, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        print('skipped: ../shared/corpus not present')
        return 0
    failures = 0
    worst = {'adts': [math.inf, 100.0], 'm4a': [math.inf, 100.0]}
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(n, ['-i', os.path.join(corpus, src), '-t', str(sec), '-ac', str(ch),
                     '-ar', str(rate)] + o, sec * rate) for n, src, sec, ch, rate, o in STREAMS]
        jobs += [(n, ['-f', 'lavfi', '-i', LAVFI_51, '-t', str(sec)] + o, sec * 48000)
                 for n, sec, o in LAVFI_STREAMS]
        for name, args, src_frames in jobs:
            for kind, ext, fmt in (('adts', 'aac', 'adts'), ('m4a', 'm4a', 'ipod')):
                enc = os.path.join(tmp, '%s.%s' % (name, ext))
                mine = os.path.join(tmp, name + '.ours.f32')
                ref = os.path.join(tmp, name + '.ref.f32')
                ffmpeg(*args, '-c:a', 'aac', '-f', fmt, enc)
                if kind == 'adts' and '-aac_ms' in args and '-ac' in args and \
                        args[args.index('-ac') + 1] == '2':
                    # The M/S column: forced gives ms_mask_present 2 (0 in
                    # frames with nothing coded); off gives 0, or 1 where
                    # FFmpeg signals intensity phase through ms_used
                    # (4.6.8.2.3).
                    modes = ms_modes(enc)
                    forced = args[args.index('-aac_ms') + 1] == '1'
                    if forced:
                        want = {0, 2}
                    else:
                        want = {0, 1} if args[args.index('-aac_is') + 1] == '1' else {0}
                    if not set(modes) <= want or (forced and modes.get(2, 0) * 2 < sum(modes.values())):
                        print('FAIL %s: ms_mask_present %s, want only %s' % (name, modes, sorted(want)))
                        failures += 1
                ffmpeg('-i', enc, '-f', 'f32le', ref)
                r = subprocess.run([tool, 'decode', enc, mine, 'strict'], capture_output=True, text=True)
                tag = '%s %s' % (name, kind)
                try:
                    d = json.loads(r.stdout)
                except ValueError:
                    d = {'status': 'exit %d' % r.returncode, 'error': r.stderr.strip()}
                if d['status'] not in ('SEGUE_END_OF_STREAM', 'SEGUE_OK'):
                    print('FAIL %s: decode %s %s' % (tag, d['status'], d.get('error')))
                    failures += 1
                    continue
                ours, theirs = read_f32(mine), read_f32(ref)
                ch = d['channels']
                if kind == 'm4a' and len(ours) < len(theirs) < len(ours) + 2048 * ch:
                    # FFmpeg 5.1's mov demuxer applies the edit list's start
                    # (the priming is skipped) but not its end: the encoder
                    # padding after segment_duration is still output. That
                    # tail is past the valid length: compared up to it.
                    theirs = theirs[:len(ours)]
                if len(ours) != len(theirs):
                    print('FAIL %s: %d frames, ffmpeg %d' % (tag, len(ours) // ch, len(theirs) // ch))
                    failures += 1
                    continue
                if kind == 'm4a' and len(ours) != src_frames * ch:
                    # Gapless: the edit list gives back the source length.
                    print('FAIL %s: %d frames, source %d' % (tag, len(ours) // ch, src_frames))
                    failures += 1
                    continue
                psnr, within = measure(ours, theirs)
                ok = psnr >= PSNR_MIN and within >= WITHIN_MIN
                asserted = not ms2_with_is(args) or MS2_IS_SIGN == 'libavcodec'
                if asserted:
                    w = worst[kind]
                    w[0], w[1] = min(w[0], psnr), min(w[1], within)
                print('%s %s: PSNR %.1f dB, %.4f %% within 1 LSB, %d frames x %d%s' % (
                    ('ok  ' if ok else 'FAIL') if asserted else 'info', tag, psnr, within,
                    len(ours) // ch, ch, '' if asserted else
                    ' (ms_mask_present 2 with intensity: libavcodec inverts, the standard does not)'),
                    flush=True)
                failures += asserted and not ok
    for kind, (p, w) in worst.items():
        print('minimum %s: PSNR %.1f dB, %.4f %% within 1 LSB' % (kind, p, w))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
