#!/usr/bin/env python3
"""tests/aacenc/aacenc_roundtrip.py - segue's AAC-LC encoder end to end:
streams made by aacenc_tool (ADTS) from synthetic signals, decoded by our
decoder (inside the tool), by ffmpeg and by faad.

Per stream it asserts:
  - the tool's own checks (packet protocol, 1 + ceil(n/1024) packets, our
    decode exactly n frames long after the 1024 priming, no NaN/Inf);
  - ffmpeg decodes it without an error message, to packets * 1024 frames,
    and its output minus the priming matches ours (PSNR >= 70 dB: the two
    decoders read the same bitstream);
  - faad (when installed) decodes it without an error;
  - on tones, the signal-to-noise ratio of our decode against the input is
    at least MIN_SNR_DB (the tone is coded at its level, in time, in the
    right channel: a wrong scale, delay or channel map fails it).
Edge inputs (silence, DC, full-scale square, clipped noise, impulses, one
sample, no samples) only need the first three points; silence must decode
to silence.

    aacenc_roundtrip.py AACENC_TOOL
"""
import array
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

TOOL = sys.argv[1]
FAILS = []
MIN_SNR_DB = 18.0


def fail(msg):
    print('FAIL: ' + msg)
    FAILS.append(msg)


def write_wav(path, rate, chans):
    """chans: list of per-channel lists of floats in [-1, 1]; 16-bit PCM."""
    n = len(chans[0])
    data = array.array('h', [0]) * (n * len(chans))
    for c, ch in enumerate(chans):
        for i, v in enumerate(ch):
            s = int(round(v * 32767.0))
            data[i * len(chans) + c] = max(-32768, min(32767, s))
    with wave.open(path, 'wb') as w:
        w.setnchannels(len(chans))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def read_f32(path, nch):
    a = array.array('f')
    with open(path, 'rb') as f:
        a.frombytes(f.read())
    return a


def ffmpeg_f32(path):
    # -f aac: ffmpeg's format probe does not recognise ADTS files of one or
    # two frames; the demuxer is named instead.
    r = subprocess.run(['ffmpeg', '-v', 'error', '-f', 'aac', '-i', path, '-f', 'f32le', '-'],
                       capture_output=True)
    a = array.array('f')
    a.frombytes(r.stdout)
    return r.returncode, r.stderr.decode(errors='replace').strip(), a


def snr_db(ref, test):
    sig = sum(x * x for x in ref)
    err = sum((x - y) * (x - y) for x, y in zip(ref, test))
    if sig == 0.0:
        return float('inf') if err == 0.0 else -float('inf')
    return 10.0 * math.log10(sig / max(err, 1e-30))


def run(name, tmp, rate, chans, opts=(), tone=False, silent=False, energy_db=None,
        ratio_db=None):
    nch = len(chans)
    n = len(chans[0])
    wav = os.path.join(tmp, name + '.wav')
    aac = os.path.join(tmp, name + '.aac')
    dec = os.path.join(tmp, name + '.f32')
    write_wav(wav, rate, chans)
    r = subprocess.run([TOOL, wav, aac, '--decode', dec] + list(opts), capture_output=True)
    if r.returncode != 0:
        fail('%s: aacenc_tool exit %d: %s' % (name, r.returncode, r.stderr.decode().strip()))
        return
    ours = read_f32(dec, nch)
    if len(ours) != n * nch:
        fail('%s: our decode has %d frames, want %d' % (name, len(ours) // nch, n))
        return
    packets = 1 + (n + 1023) // 1024
    rc, err, ff = ffmpeg_f32(aac)
    if rc != 0 or err:
        fail('%s: ffmpeg: exit %d: %s' % (name, rc, err))
    elif len(ff) != packets * 1024 * nch:
        fail('%s: ffmpeg decoded %d frames, want %d' % (name, len(ff) // nch, packets * 1024))
    else:
        ff = ff[1024 * nch:1024 * nch + n * nch]
        if n:
            mse = sum((a - b) * (a - b) for a, b in zip(ours, ff)) / len(ff)
            psnr = 10 * math.log10(1.0 / mse) if mse > 0 else 999.0
            if psnr < 70.0:
                fail('%s: ours vs ffmpeg PSNR %.1f dB' % (name, psnr))
    if shutil.which('faad'):
        r = subprocess.run(['faad', '-q', '-o', os.devnull, aac], capture_output=True)
        out = (r.stdout + r.stderr).decode(errors='replace')
        if r.returncode != 0 or 'rror' in out:
            fail('%s: faad: exit %d %s' % (name, r.returncode, out.strip()[:200]))
    if energy_db is not None:
        # Noise substitution keeps the level: decoded energy within
        # energy_db of the input's, per channel.
        for c in range(nch):
            ei = sum(v * v for v in chans[c][2048:n - 2048])
            eo = sum(ours[i * nch + c] ** 2 for i in range(2048, n - 2048))
            d = 10 * math.log10(eo / ei)
            print('%-28s ch%d energy %+.2f dB' % (name, c, d))
            if abs(d) > energy_db:
                fail('%s: channel %d energy off by %+.2f dB' % (name, c, d))
    if ratio_db is not None:
        # Level of channel 1 relative to channel 0, decoded against input.
        e = [[sum(v * v for v in chans[c][2048:n - 2048]),
              sum(ours[i * nch + c] ** 2 for i in range(2048, n - 2048))] for c in (0, 1)]
        d = 10 * math.log10(e[1][1] / e[0][1]) - 10 * math.log10(e[1][0] / e[0][0])
        print('%-28s ch1/ch0 level %+.2f dB from the input\'s' % (name, d))
        if abs(d) > ratio_db:
            fail('%s: level of channel 1 relative to 0 off by %+.2f dB' % (name, d))
        # And its phase: the normalised correlation of the two decoded
        # channels has the input's sign (in or out of phase) and, for a
        # source coded by intensity stereo, nearly its magnitude: the two
        # decoded channels are one signal scaled (0.9997 measured; coded
        # as M/S instead, with its own noise in each channel, 0.93).
        x_in = sum(chans[0][i] * chans[1][i] for i in range(2048, n - 2048))
        x_out = sum(ours[i * nch] * ours[i * nch + 1] for i in range(2048, n - 2048))
        rho = x_out / math.sqrt(e[0][1] * e[1][1])
        print('%-28s ch0/ch1 correlation %+.3f' % (name, rho))
        if rho * (1 if x_in > 0 else -1) < 0.995:
            fail('%s: channel correlation %+.3f, the input\'s is %+.3f' % (name, rho,
                 x_in / math.sqrt(e[0][0] * e[1][0])))
    if silent and any(v != 0.0 for v in ours):
        fail('%s: silence decodes to non-zero samples' % name)
    if tone:
        # Skip the first and last 2048 frames: start-up and end effects.
        for c in range(nch):
            ref = [chans[c][i] for i in range(2048, n - 2048)]
            got = [ours[i * nch + c] for i in range(2048, n - 2048)]
            if not any(ref):
                if any(abs(v) > 1e-3 for v in got):
                    fail('%s: channel %d should be silent' % (name, c))
                continue
            s = snr_db(ref, got)
            print('%-28s ch%d SNR %.1f dB' % (name, c, s))
            if s < MIN_SNR_DB:
                fail('%s: channel %d SNR %.1f dB < %.1f' % (name, c, s, MIN_SNR_DB))


def tone(n, rate, f, amp=0.4, phase=0.0):
    return [amp * math.sin(2 * math.pi * f * i / rate + phase) for i in range(n)]


def main():
    tmp = tempfile.mkdtemp(prefix='aacenc_rt_')
    try:
        rnd = random.Random(7)
        # Layouts at 44.1 kHz: every channel a different tone, 5.1 in WAV
        # order (L R C LFE Ls Rs), the LFE a low tone.
        r = 44100
        n = r
        run('mono_44k', tmp, r, [tone(n, r, 440)], tone=True)
        run('stereo_44k', tmp, r, [tone(n, r, 440), tone(n, r, 1250, 0.3)], tone=True)
        run('stereo_44k_one_side', tmp, r, [tone(n, r, 700), [0.0] * n], tone=True)
        run('surround51_44k', tmp, r,
            [tone(n, r, 440), tone(n, r, 660), tone(n, r, 880), tone(n, r, 50, 0.5),
             tone(n, r, 1100), tone(n, r, 1320)], tone=True)
        for nch in (3, 4, 5):
            run('ch%d_44k' % nch, tmp, r, [tone(n, r, 300 + 200 * c) for c in range(nch)],
                tone=True)
        # Every AAC rate, stereo, a tone well inside the band.
        for rate in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 48000, 64000, 88200, 96000):
            n = rate // 2
            run('stereo_%d' % rate, tmp, rate,
                [tone(n, rate, rate / 40.0), tone(n, rate, rate / 31.0, 0.3)], tone=True)
        # Rate control modes on a tone.
        n = 44100
        for opts in (['--cbr', '--bitrate', '64000'], ['--abr', '--bitrate', '96000'],
                     ['--vbr', '--quality', '3'], ['--cbr', '--bitrate', '320000']):
            run('mode_' + '_'.join(o.strip('-') for o in opts), tmp, 44100,
                [tone(n, 44100, 523), tone(n, 44100, 784)], opts, tone=True)
        # Uncorrelated white noise at low rates: noise substitution (PNS)
        # bands. Rates whose Nyquist frequency lies near the encoder's
        # bandwidth at that bitrate, so that the level is all coded.
        for rate, br in ((16000, '32000'), (22050, '64000')):
            n = rate
            run('noise_pns_%d_%s' % (rate, br), tmp, rate,
                [[0.2 * rnd.gauss(0, 1) for i in range(n)] for c in range(2)],
                ['--cbr', '--bitrate', br], energy_db=1.0)
            run('noise_pns_mono_%d_%s' % (rate, br), tmp, rate,
                [[0.2 * rnd.gauss(0, 1) for i in range(n)]],
                ['--cbr', '--bitrate', str(int(br) // 2)], energy_db=1.0)
        # Intensity stereo (below 56 kbit/s a channel, from 6 kHz): one
        # noise source panned 6 dB towards the left, in phase (book 15)
        # and out of phase (book 14). The level of R relative to L must
        # stay within 0.5 dB (a wrong is_position, sign or scale would move
        # it), ffmpeg must decode the same samples as ours, and faad must
        # decode the stream without errors.
        # Each channel's own level may be up to 1.5 dB low: at 48 kbit/s
        # a channel noise-like bands are quantised with the wide dead zone
        # (aac_enc_quant.c), which takes about 1 dB out of white noise.
        # At 32 kHz the whole band is coded (no energy above the encoder's
        # bandwidth to lose).
        # The source is white noise differenced three times: a +18 dB per
        # octave tilt that puts nearly all of its energy above 6 kHz, where
        # intensity stereo codes it (below, M/S would code it).
        n = 32000
        src = [0.25 * rnd.gauss(0, 1) for i in range(n + 3)]
        for _ in range(3):
            src = [0.5 * (src[i + 1] - src[i]) for i in range(len(src) - 1)]
        for tag, sign in (('in_phase', 1.0), ('out_of_phase', -1.0)):
            run('intensity_%s_32k_96k' % tag, tmp, 32000, [src, [sign * 0.5 * v for v in src]],
                ['--abr', '--bitrate', '96000'], energy_db=1.5, ratio_db=0.5)
        # Two tones panned hard to opposite sides, each leaking into the
        # other channel 80 dB down: intensity positions of about +53 and
        # -53, a step the is_position chain (+-60 a band) cannot make, so
        # the second band must not be coded by intensity (a clamped
        # position would leave the right tone 70 dB low).
        n = 32000
        t7, t12 = tone(n, 32000, 7000, 0.3), tone(n, 32000, 12000, 0.3)
        run('intensity_cross_panned_32k_96k', tmp, 32000,
            [[a + 1e-4 * b for a, b in zip(t7, t12)], [b + 1e-4 * a for a, b in zip(t7, t12)]],
            ['--abr', '--bitrate', '96000'], tone=True)
        # Edge inputs (acceptance 5), stereo 44.1 kHz and mono 8 kHz.
        for rate, nch in ((44100, 2), (8000, 1)):
            n = rate
            tag = '%dk%d' % (rate // 1000, nch)
            run('silence_' + tag, tmp, rate, [[0.0] * n] * nch, silent=True)
            run('dc_' + tag, tmp, rate, [[0.5] * n] * nch)
            sq = [1.0 if (i // 50) % 2 == 0 else -1.0 for i in range(n)]
            run('square_' + tag, tmp, rate, [sq] * nch)
            noise = [max(-1.0, min(1.0, 3.0 * rnd.gauss(0, 1))) for i in range(n)]
            run('clipped_noise_' + tag, tmp, rate, [noise] * nch)
            imp = [1.0 if i % 4000 == 100 else 0.0 for i in range(n)]
            run('impulses_' + tag, tmp, rate, [imp] * nch)
            run('one_sample_' + tag, tmp, rate, [[0.7]] * nch)
            run('no_samples_' + tag, tmp, rate, [[]] * nch)
            run('1023_samples_' + tag, tmp, rate, [tone(1023, rate, 300)] * nch)
            run('1025_samples_' + tag, tmp, rate, [tone(1025, rate, 300)] * nch)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILS:
        print('%d failure(s)' % len(FAILS))
        return 1
    print('all round trips passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
